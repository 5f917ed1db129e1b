//! Logging (structured, to stderr) and the process-wide metrics recorder.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

/// Sets up logging once; later calls (tests that start several apps) do nothing.
pub fn init_logging(format: &str, level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}

/// The Prometheus recorder, installed once per process.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder can only exist if something else installed one first; then
            // our handle renders nothing, which /metrics shows plainly.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!("beside_sessions_active", "Sessions running on this node.");
    describe_counter!("beside_sessions_started_total", "Sessions started.");
    describe_counter!("beside_sessions_ended_total", "Sessions ended, by reason.");
    describe_counter!("beside_sessions_refused_total", "Session starts refused, by reason.");
    describe_counter!("beside_frames_sent_total", "Frames sent to viewers, by role.");
    describe_counter!(
        "beside_frame_bytes_sent_total",
        Unit::Bytes,
        "Frame bytes sent to viewers, by role."
    );
    describe_counter!("beside_frames_dropped_total", "Frames not delivered, by reason.");
    describe_histogram!(
        "beside_frame_encode_seconds",
        Unit::Seconds,
        "Time to encode a frame for a viewer."
    );
    describe_counter!("beside_browser_restarts_total", "Times the cloud browser was restarted.");
    describe_counter!("beside_pin_failures_total", "PIN redemptions refused, by reason.");
    describe_counter!("beside_login_failures_total", "Agent logins refused, by reason.");
    describe_counter!(
        "beside_connections_refused_total",
        "WebSocket connections refused, by reason."
    );
    describe_gauge!("beside_connections_active", "Open WebSocket connections.");
    describe_counter!("beside_inputs_rejected_total", "Input events refused, by reason.");
}
