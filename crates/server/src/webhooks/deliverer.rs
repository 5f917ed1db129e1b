//! The deliverer: one task per process that claims due deliveries from the store and posts
//! them, each attempt in a task of its own (at most `MAX_IN_FLIGHT` at once), so one slow
//! receiver holds up nobody else's.
//!
//! A 2xx answer delivers. Anything else (another status, no answer within the timeout, an
//! address now refused) is retried after `first_retry`, doubling each time up to `max_retry`,
//! give or take a fifth at random (so receivers that failed together are not hit together
//! again), until `retry_for` after the event; then the delivery is marked failed.

use super::post::post;
use super::target::{check_url, resolve};
use super::{sign, Settings};
use std::sync::Arc;
use std::time::Duration;
use store::{AttemptOutcome, DueDelivery, Store};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

/// Attempts under way at once, at most.
const MAX_IN_FLIGHT: usize = 16;
/// How often the store is asked for due deliveries when nothing woke the deliverer (another
/// node's events, retries coming due).
const POLL_EVERY: Duration = Duration::from_secs(5);
/// How long a claim holds beyond the attempt's timeout: a process that died mid-attempt leaves
/// its deliveries due again after this.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// How long to wait after the store failed before asking it again.
const STORE_BACKOFF: Duration = Duration::from_secs(2);

/// The wait before the next attempt after `n_failed` failed ones (1 or more): `first` doubled
/// for each failure after the first, at most `max`, times `jitter` (0.8 to 1.2).
pub(crate) fn retry_delay(n_failed: u32, first: Duration, max: Duration, jitter: f64) -> Duration {
    let doublings = n_failed.saturating_sub(1).min(30);
    let base = first.saturating_mul(1 << doublings).min(max);
    base.mul_f64(jitter.clamp(0.8, 1.2))
}

/// What follows a failed attempt at `now`: another one, or giving up.
fn after_failure(
    settings: &Settings,
    d: &DueDelivery,
    now: OffsetDateTime,
    status: Option<u16>,
    error: String,
) -> AttemptOutcome {
    let n_failed = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    let jitter = 0.8 + 0.4 * fastrand::f64();
    let wait = retry_delay(n_failed, settings.first_retry, settings.max_retry, jitter);
    let next_at = now + wait;
    if next_at > d.created_at + settings.retry_for {
        AttemptOutcome::Failed { status, error }
    } else {
        AttemptOutcome::Retry { status, error, next_at }
    }
}

/// Delivers queued webhook events until the task is dropped.
pub async fn deliver_forever(store: Store, settings: Settings) {
    let settings = Arc::new(settings);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        // Wait for a free slot before claiming anything.
        drop(slots.acquire().await.expect("the semaphore stays open"));
        let now = OffsetDateTime::now_utc();
        let lease_until = now + settings.timeout + LEASE_MARGIN;
        let free = u32::try_from(slots.available_permits()).unwrap_or(1);
        let due = match store.claim_webhook_deliveries(now, lease_until, free).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "Could not read the webhook queue.");
                tokio::time::sleep(STORE_BACKOFF).await;
                continue;
            }
        };
        let n_claimed = due.len();
        for d in due {
            let permit = slots.clone().acquire_owned().await.expect("the semaphore stays open");
            let (store, settings) = (store.clone(), settings.clone());
            tokio::spawn(async move {
                attempt(&store, &settings, d).await;
                drop(permit);
            });
        }
        if n_claimed as u32 == free {
            continue;
        }
        let wait = match store.next_webhook_attempt().await {
            Ok(Some(next)) => {
                let until = next - OffsetDateTime::now_utc();
                Duration::try_from(until).unwrap_or(Duration::ZERO).min(POLL_EVERY)
            }
            Ok(None) => POLL_EVERY,
            Err(_) => STORE_BACKOFF,
        };
        tokio::select! {
            () = store.webhook_queued() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One attempt of one delivery, and its outcome recorded.
async fn attempt(store: &Store, settings: &Settings, d: DueDelivery) {
    let started = std::time::Instant::now();
    let res = tokio::time::timeout(settings.timeout, send(settings, &d)).await;
    let now = OffsetDateTime::now_utc();
    let outcome = match res {
        Ok(Ok(status)) if (200..300).contains(&status) => AttemptOutcome::Delivered { status },
        Ok(Ok(status)) => after_failure(
            settings,
            &d,
            now,
            Some(status),
            format!("the receiver answered {status}"),
        ),
        Ok(Err(error)) => after_failure(settings, &d, now, None, error),
        Err(_) => after_failure(
            settings,
            &d,
            now,
            None,
            format!("no answer within {} s", settings.timeout.as_secs()),
        ),
    };
    let result = match &outcome {
        AttemptOutcome::Delivered { .. } => "delivered",
        AttemptOutcome::Retry { .. } => "retry",
        AttemptOutcome::Failed { .. } => "failed",
    };
    metrics::counter!("beside_webhook_attempts_total", "result" => result).increment(1);
    metrics::histogram!("beside_webhook_attempt_seconds").record(started.elapsed().as_secs_f64());
    match &outcome {
        AttemptOutcome::Delivered { .. } => {}
        AttemptOutcome::Retry { error, .. } | AttemptOutcome::Failed { error, .. } => {
            tracing::info!(
                webhook_id = %d.webhook,
                event_id = %d.event,
                attempts = d.attempts + 1,
                result,
                error = error.as_str(),
                "A webhook delivery attempt failed."
            );
        }
    }
    if let Err(error) = store.record_webhook_attempt(&d.webhook, &d.event, now, &outcome).await {
        tracing::warn!(webhook_id = %d.webhook, %error, "Could not record a webhook delivery attempt.");
    }
}

/// Checks the address again, signs and posts: the status code, or why there was none.
async fn send(settings: &Settings, d: &DueDelivery) -> Result<u16, String> {
    let target = check_url(&d.url, &settings.exceptions).map_err(|e| e.to_string())?;
    let addr = resolve(&target, &settings.exceptions).await.map_err(|e| {
        metrics::counter!("beside_webhook_refused_total", "reason" => e.reason()).increment(1);
        e.to_string()
    })?;
    let t = OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(d.secret.expose(), t, &d.body);
    let headers = [("beside-signature", signature), ("beside-event-id", d.event.to_string())];
    post(&target, addr, &headers, d.body.clone()).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_the_most() {
        let (first, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        let waits: Vec<u64> = (1..=9).map(|n| retry_delay(n, first, max, 1.0).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(retry_delay(1, first, max, 0.5), Duration::from_secs(24));
        assert_eq!(retry_delay(1, first, max, 1.2), Duration::from_secs(36));
        assert_eq!(retry_delay(u32::MAX, first, max, 1.0), max);
    }

    #[test]
    fn a_delivery_is_retried_until_its_time_is_up_then_failed() {
        let settings = Settings::default();
        let created_at = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        let d = DueDelivery {
            webhook: model::WebhookId::random(),
            event: model::EventId::random(),
            url: "https://crm.example/h".into(),
            secret: model::Secret::new("0123456789abcdef".into()),
            body: "{}".into(),
            attempts: 0,
            created_at,
        };
        let soon = created_at + Duration::from_secs(1);
        let outcome = after_failure(&settings, &d, soon, Some(500), "500".into());
        let AttemptOutcome::Retry { next_at, .. } = outcome else { panic!("{outcome:?}") };
        assert!(
            next_at >= soon + Duration::from_secs(24) && next_at <= soon + Duration::from_secs(36)
        );
        let late = created_at + Duration::from_secs(24 * 3600 - 60);
        let d = DueDelivery { attempts: 30, ..d };
        let outcome = after_failure(&settings, &d, late, None, "timeout".into());
        assert_eq!(outcome, AttemptOutcome::Failed { status: None, error: "timeout".into() });
    }

    #[test]
    fn the_full_schedule_spans_a_day() {
        // Attempts at the default settings (without jitter) within the day.
        let s = Settings::default();
        let (mut at, mut n_attempts) = (Duration::ZERO, 1);
        loop {
            let next = at + retry_delay(n_attempts, s.first_retry, s.max_retry, 1.0);
            if next > s.retry_for {
                break;
            }
            (at, n_attempts) = (next, n_attempts + 1);
        }
        assert_eq!((n_attempts, at.as_secs()), (30, 83_010));
    }
}
