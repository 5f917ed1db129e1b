//! Session settings (the `[session]` section of beside's configuration).

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How long a PIN can be redeemed, in seconds. An expired PIN does not end the session: the
    /// customer can ask for a new one.
    pub pin_ttl_secs: u64,
    /// A session in which nobody did anything (input, navigation, joining) for this long ends,
    /// in seconds.
    pub idle_limit_secs: u64,
    /// How long a dropped participant may take to come back, in seconds.
    pub reconnect_grace_secs: u64,
    /// Sessions this node runs at once; more are refused with `at_capacity`.
    pub max_sessions: usize,
    /// How long a customer who started a session has to open its view, in seconds; a session
    /// whose customer never comes ends then (a start by a bot holds no place for long).
    pub customer_connect_secs: u64,
    /// Sessions nobody has joined yet that one client address may hold at once; more are
    /// refused with `rate_limited`.
    pub max_waiting_per_client: usize,
    /// The share of `max_sessions`, in percent, that sessions nobody has joined yet may use;
    /// the rest is kept for sessions an agent joined, so a flood of starts cannot take it.
    pub waiting_share_percent: u8,
    /// Failed PIN attempts an agent may make per minute.
    pub pin_attempts_per_agent_minute: u32,
    /// Failed PIN attempts an agent may make per hour; less than the company's, so one agent
    /// cannot use up the company's attempts and stop colleagues.
    pub pin_attempts_per_agent_hour: u32,
    /// Failed PIN attempts all agents of a company may make per hour (bounds guessing: see
    /// docs/security.md).
    pub pin_attempts_per_company_hour: u32,
    /// Input events a participant may send per second (bursts of twice that are fine).
    pub input_events_per_second: u32,
    /// Tabs a session may have open at once; a page that opens more is refused (`tab_limit`).
    pub max_tabs: usize,
    /// The most a customer may give the page at once (all files of one choice), in bytes;
    /// more is refused (`file_too_large`).
    pub max_upload_bytes: u64,
    /// How long the link to a file the page downloaded works (once), in seconds.
    pub download_link_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            pin_ttl_secs: 600,
            idle_limit_secs: 1800,
            reconnect_grace_secs: 60,
            max_sessions: 40,
            customer_connect_secs: 20,
            max_waiting_per_client: 3,
            waiting_share_percent: 50,
            pin_attempts_per_agent_minute: 5,
            pin_attempts_per_agent_hour: 20,
            pin_attempts_per_company_hour: 100,
            input_events_per_second: 250,
            max_tabs: 8,
            max_upload_bytes: 25 * 1024 * 1024,
            download_link_secs: 600,
        }
    }
}

impl Config {
    pub fn pin_ttl(&self) -> Duration {
        Duration::from_secs(self.pin_ttl_secs)
    }

    pub fn idle_limit(&self) -> Duration {
        Duration::from_secs(self.idle_limit_secs)
    }

    pub fn reconnect_grace(&self) -> Duration {
        Duration::from_secs(self.reconnect_grace_secs)
    }

    pub fn download_link_ttl(&self) -> Duration {
        Duration::from_secs(self.download_link_secs)
    }

    pub fn customer_connect(&self) -> Duration {
        Duration::from_secs(self.customer_connect_secs)
    }

    /// How many sessions nobody has joined yet may run at once (at least one).
    pub fn max_waiting(&self) -> usize {
        (self.max_sessions * usize::from(self.waiting_share_percent)).div_ceil(100).max(1)
    }

    /// Refuses settings that cannot work, with the setting's name.
    pub fn validate(&self) -> Result<(), String> {
        if self.pin_ttl_secs == 0 {
            return Err("session.pin_ttl_secs must be at least 1".into());
        }
        if self.idle_limit_secs == 0 {
            return Err("session.idle_limit_secs must be at least 1".into());
        }
        if self.max_sessions == 0 {
            return Err("session.max_sessions must be at least 1".into());
        }
        if self.customer_connect_secs == 0 {
            return Err("session.customer_connect_secs must be at least 1".into());
        }
        if self.max_waiting_per_client == 0 {
            return Err("session.max_waiting_per_client must be at least 1".into());
        }
        if !(1..=100).contains(&self.waiting_share_percent) {
            return Err(format!(
                "session.waiting_share_percent ({}) must be between 1 and 100",
                self.waiting_share_percent
            ));
        }
        if self.pin_attempts_per_agent_hour >= self.pin_attempts_per_company_hour {
            return Err(format!(
                "session.pin_attempts_per_agent_hour ({}) must be less than \
                 session.pin_attempts_per_company_hour ({}), or one agent's wrong PINs stop \
                 every colleague",
                self.pin_attempts_per_agent_hour, self.pin_attempts_per_company_hour
            ));
        }
        if self.max_tabs == 0 {
            return Err("session.max_tabs must be at least 1".into());
        }
        if self.max_upload_bytes == 0 {
            return Err("session.max_upload_bytes must be at least 1".into());
        }
        if self.download_link_secs == 0 {
            return Err("session.download_link_secs must be at least 1".into());
        }
        if self.input_events_per_second == 0 {
            return Err("session.input_events_per_second must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_waiting_share_rounds_up_and_leaves_at_least_one() {
        let with = |max_sessions, waiting_share_percent| Config {
            max_sessions,
            waiting_share_percent,
            ..Config::default()
        };
        assert_eq!(Config::default().max_waiting(), 20);
        assert_eq!(with(5, 50).max_waiting(), 3);
        assert_eq!(with(1, 1).max_waiting(), 1);
        assert_eq!(with(40, 100).max_waiting(), 40);
        assert!(with(40, 0).validate().is_err());
        assert!(with(40, 101).validate().is_err());
    }
}
