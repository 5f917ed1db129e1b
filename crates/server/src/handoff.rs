//! Hand-offs of the agent console to a CRM's frame (F23): a short-lived, single-use token in
//! the frame's address (`/agent?handoff=bsh_…`) that the console trades for a login of its
//! own (`POST /auth/handoff`). A login cookie cannot do this inside another site's frame:
//! browsers that block third-party cookies never send it there.
//!
//! The hand-offs live in this process's memory, by the SHA-256 digest of the token: they last
//! [`HANDOFF_TTL`], so one made before a restart is simply made again; a cluster must send the
//! console to the node that made its link (or share this table, as `session::Directory` is).

use model::{AgentId, CompanyId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a hand-off can be redeemed after it was made.
pub(crate) const HANDOFF_TTL: Duration = Duration::from_secs(60);
/// The prefix of a hand-off token.
pub(crate) const HANDOFF_PREFIX: &str = "bsh_";
/// The most hand-offs open at once; more are refused (`503 busy`) until some are used or expire.
const MAX_OPEN: usize = 10_000;

/// Who a hand-off logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handoff {
    pub(crate) agent: AgentId,
    pub(crate) company: CompanyId,
}

/// The open hand-offs, by token digest.
#[derive(Default)]
pub(crate) struct Handoffs {
    open: Mutex<HashMap<String, (Handoff, Instant)>>,
}

/// Too many hand-offs are open.
#[derive(Debug)]
pub(crate) struct Full;

impl Handoffs {
    /// A new hand-off for `who`, redeemable until `now + HANDOFF_TTL`; answers the token.
    pub(crate) fn issue(&self, who: Handoff, now: Instant) -> Result<String, Full> {
        let token = format!("{HANDOFF_PREFIX}{}", model::random_token());
        let digest = store::login_token_hash(&token);
        // The lock guards a plain map and is never held across an await.
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, (_, expires)| *expires > now);
        if open.len() >= MAX_OPEN {
            return Err(Full);
        }
        open.insert(digest, (who, now + HANDOFF_TTL));
        Ok(token)
    }

    /// Takes the hand-off of `token` once: `None` for an unknown, used or expired one.
    pub(crate) fn redeem(&self, token: &str, now: Instant) -> Option<Handoff> {
        if !token.starts_with(HANDOFF_PREFIX) || token.len() > 128 {
            return None;
        }
        let digest = store::login_token_hash(token);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (who, expires) = open.remove(&digest)?;
        (expires > now).then_some(who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone() -> Handoff {
        Handoff { agent: AgentId::random(), company: CompanyId::random() }
    }

    #[test]
    fn a_handoff_is_taken_once_and_only_in_time() {
        let handoffs = Handoffs::default();
        let now = Instant::now();
        let who = someone();
        let token = handoffs.issue(who.clone(), now).unwrap();
        assert!(token.starts_with(HANDOFF_PREFIX));
        assert_eq!(handoffs.redeem("bsh_other", now), None);
        assert_eq!(handoffs.redeem(&token, now), Some(who));
        assert_eq!(handoffs.redeem(&token, now), None, "single use");

        let late = handoffs.issue(someone(), now).unwrap();
        assert_eq!(handoffs.redeem(&late, now + HANDOFF_TTL), None, "expired");
    }

    #[test]
    fn expired_handoffs_make_room() {
        let handoffs = Handoffs::default();
        let now = Instant::now();
        for _ in 0..MAX_OPEN {
            handoffs.issue(someone(), now).unwrap();
        }
        assert!(handoffs.issue(someone(), now).is_err());
        assert!(handoffs.issue(someone(), now + HANDOFF_TTL).is_ok());
    }
}
