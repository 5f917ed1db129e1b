//! The task of a new session, built the same way for a customer's session and for a
//! rule-picking one: only who holds its customer seat differs.

use super::Registry;
use crate::actor::Actor;
use crate::directory::PinShape;
use crate::events::Reporter;
use model::{CompanyId, ParticipantId, SessionId};
use std::sync::Arc;
use std::time::Duration;
use store::Company;
use time::OffsetDateTime;

/// The seat of the person whose own browsing a session is: the customer, or the administrator
/// of a rule-picking session.
pub(super) struct Seat<'a> {
    pub(super) id: &'a SessionId,
    pub(super) company: &'a CompanyId,
    pub(super) customer: &'a ParticipantId,
    pub(super) name: &'a str,
    /// What agents see of PDFs, as the company's policy says.
    pub(super) pdfs: model::PdfView,
    /// Where the company lets its sessions go.
    pub(super) domains: Arc<policy::domains::DomainLists>,
}

impl Registry {
    /// The task of a new session, with the session's customer seat `seat`.
    pub(super) fn actor(
        &self,
        seat: Seat<'_>,
        now: OffsetDateTime,
        start_url: url::Url,
        locale: model::Locale,
        rules: Arc<[policy::rules::CompanyRule]>,
    ) -> Actor {
        let config = &self.inner.config;
        Actor {
            id: seat.id.clone(),
            company: seat.company.clone(),
            created_at: now,
            customer: seat.customer.clone(),
            customer_name: seat.name.to_owned(),
            customer_connect: config.customer_connect(),
            start_url,
            locale,
            rules,
            domains: seat.domains,
            grace: config.reconnect_grace(),
            idle_limit: config.idle_limit(),
            events_per_second: config.input_events_per_second,
            max_tabs: config.max_tabs,
            pdfs: seat.pdfs,
            download_link_ttl: config.download_link_ttl(),
            browser: self.inner.browser.clone(),
            reporter: Reporter::new(
                seat.id.clone(),
                seat.company.clone(),
                self.inner.events.clone(),
            ),
        }
    }
}

/// The company's navigation lists. They were checked when they were stored; a pattern that no
/// longer reads (a newer beside wrote it) leaves the session with the lists that do.
pub(super) fn domain_lists(company: &Company) -> policy::domains::DomainLists {
    let read = |texts: &[String]| {
        texts
            .iter()
            .filter_map(|t| match policy::domains::DomainPattern::parse(t) {
                Ok(p) => Some(p),
                Err(error) => {
                    tracing::warn!(%error, company = %company.slug, "A stored domain pattern is ignored.");
                    None
                }
            })
            .collect()
    };
    policy::domains::DomainLists {
        allow: read(&company.navigation.allow),
        deny: read(&company.navigation.deny),
    }
}

impl super::Inner {
    /// What `company`'s PINs are like: its digits, and its time to live or the server's.
    pub(super) fn pin_shape(&self, company: &Company) -> PinShape {
        PinShape {
            digits: usize::from(company.pin.digits),
            ttl: company
                .pin
                .ttl_secs
                .map_or_else(|| self.config.pin_ttl(), |secs| Duration::from_secs(secs.into())),
        }
    }
}
