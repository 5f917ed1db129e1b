//! What the audit log records.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of an audit event: the `kind` of the audit log, stored as its snake_case name, so
/// the names in existing logs keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// An agent logged in.
    LoginSucceeded,
    /// An agent's login was refused (wrong email or password).
    LoginFailed,
    /// A login was refused because too many failed before it; the detail says for what scope.
    LoginRateLimited,
    /// A customer started a session.
    SessionStarted,
    /// An agent redeemed a PIN and waits for the customer's approval.
    AgentWaiting,
    /// An agent joined a session.
    AgentJoined,
    /// The customer turned away an agent who waited for approval.
    AgentDenied,
    /// A session ended; the detail says why.
    SessionEnded,
    /// A PIN was not accepted; the detail says why (malformed, unknown, expired).
    PinRejected,
    /// A PIN attempt was refused because too many failed before it.
    PinRateLimited,
    /// The customer made a new PIN for their session.
    PinRenewed,
    /// An agent's input was refused by the page's guard; the detail says why.
    AgentInputRefused,
    /// The page did not answer in time and was recovered; the detail says how.
    PageRecovered,
    /// The customer gave an agent control of the page.
    ControlGranted,
    /// The customer took control back from an agent.
    ControlRevoked,
    /// The customer paused what agents see.
    ViewPaused,
    /// The customer resumed what agents see.
    ViewResumed,
    /// A session's chat was kept, as its company's policy says.
    TranscriptKept,
    /// A company rule was made (by the API or the command line).
    RuleCreated,
    /// A company rule was removed.
    RuleDeleted,
    /// A rule draft was made (a new rule, or a change of the live rule its detail names).
    RuleDrafted,
    /// A rule draft was thrown away unpublished.
    RuleDraftDiscarded,
    /// A company's rule drafts were published; the detail names the rules they made or changed.
    RulesPublished,
    /// A live rule went back to its previous published version.
    RuleRolledBack,
    /// An administrator opened a page in the cloud browser to point at what rules cover.
    RulePickerOpened,
    /// A company's session policy changed; the detail holds the new one.
    CompanyPolicyChanged,
    /// A company's start secret was read (never with the secret).
    StartSecretRead,
    /// A company's start secret was replaced.
    StartSecretRenewed,
    /// A signed start token started a session; the detail holds its reference and expiry.
    StartTokenAccepted,
    /// A start of a signed company was refused; the detail holds the error code.
    StartTokenRefused,
    /// A company's settings changed (`PATCH /company`); the detail holds what changed.
    CompanySettingsChanged,
    /// A company's logo was replaced or removed.
    CompanyLogoChanged,
    /// An administrator (or the command line) added an agent account; the detail names it.
    AgentAccountCreated,
    /// An agent account's email, name, role or disabled flag changed; the detail says what.
    AgentAccountChanged,
    /// An agent account was removed; the detail names it.
    AgentAccountDeleted,
    /// An agent's password was reset (a new set-password link) or set on the command line.
    AgentPasswordReset,
    /// An agent chose a password through their set-password link.
    AgentPasswordSet,
    /// An administrator registered a webhook; the detail holds its id, URL and events.
    WebhookCreated,
    /// An administrator removed a webhook; the detail holds its id and URL.
    WebhookDeleted,
    /// An administrator made an API token; the detail holds its id, name and scopes.
    ApiTokenCreated,
    /// An administrator revoked an API token; the detail holds its id and name.
    ApiTokenRevoked,
    /// Staff (or an API token) made a console link for an agent; the detail names the agent.
    ConsoleLinkCreated,
}

impl AuditKind {
    /// Every kind, in declaration order.
    pub const ALL: [AuditKind; 42] = [
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::LoginRateLimited,
        AuditKind::SessionStarted,
        AuditKind::AgentWaiting,
        AuditKind::AgentJoined,
        AuditKind::AgentDenied,
        AuditKind::SessionEnded,
        AuditKind::PinRejected,
        AuditKind::PinRateLimited,
        AuditKind::PinRenewed,
        AuditKind::AgentInputRefused,
        AuditKind::PageRecovered,
        AuditKind::ControlGranted,
        AuditKind::ControlRevoked,
        AuditKind::ViewPaused,
        AuditKind::ViewResumed,
        AuditKind::TranscriptKept,
        AuditKind::RuleCreated,
        AuditKind::RuleDeleted,
        AuditKind::RuleDrafted,
        AuditKind::RuleDraftDiscarded,
        AuditKind::RulesPublished,
        AuditKind::RuleRolledBack,
        AuditKind::RulePickerOpened,
        AuditKind::CompanyPolicyChanged,
        AuditKind::StartSecretRead,
        AuditKind::StartSecretRenewed,
        AuditKind::StartTokenAccepted,
        AuditKind::StartTokenRefused,
        AuditKind::CompanySettingsChanged,
        AuditKind::CompanyLogoChanged,
        AuditKind::AgentAccountCreated,
        AuditKind::AgentAccountChanged,
        AuditKind::AgentAccountDeleted,
        AuditKind::AgentPasswordReset,
        AuditKind::AgentPasswordSet,
        AuditKind::WebhookCreated,
        AuditKind::WebhookDeleted,
        AuditKind::ApiTokenCreated,
        AuditKind::ApiTokenRevoked,
        AuditKind::ConsoleLinkCreated,
    ];

    /// The kind's name, as the audit log stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LoginSucceeded => "login_succeeded",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LoginRateLimited => "login_rate_limited",
            AuditKind::SessionStarted => "session_started",
            AuditKind::AgentWaiting => "agent_waiting",
            AuditKind::AgentJoined => "agent_joined",
            AuditKind::AgentDenied => "agent_denied",
            AuditKind::SessionEnded => "session_ended",
            AuditKind::PinRejected => "pin_rejected",
            AuditKind::PinRateLimited => "pin_rate_limited",
            AuditKind::PinRenewed => "pin_renewed",
            AuditKind::AgentInputRefused => "agent_input_refused",
            AuditKind::PageRecovered => "page_recovered",
            AuditKind::ControlGranted => "control_granted",
            AuditKind::ControlRevoked => "control_revoked",
            AuditKind::ViewPaused => "view_paused",
            AuditKind::ViewResumed => "view_resumed",
            AuditKind::TranscriptKept => "transcript_kept",
            AuditKind::RuleCreated => "rule_created",
            AuditKind::RuleDeleted => "rule_deleted",
            AuditKind::RuleDrafted => "rule_drafted",
            AuditKind::RuleDraftDiscarded => "rule_draft_discarded",
            AuditKind::RulesPublished => "rules_published",
            AuditKind::RuleRolledBack => "rule_rolled_back",
            AuditKind::RulePickerOpened => "rule_picker_opened",
            AuditKind::CompanyPolicyChanged => "company_policy_changed",
            AuditKind::StartSecretRead => "start_secret_read",
            AuditKind::StartSecretRenewed => "start_secret_renewed",
            AuditKind::StartTokenAccepted => "start_token_accepted",
            AuditKind::StartTokenRefused => "start_token_refused",
            AuditKind::CompanySettingsChanged => "company_settings_changed",
            AuditKind::CompanyLogoChanged => "company_logo_changed",
            AuditKind::AgentAccountCreated => "agent_account_created",
            AuditKind::AgentAccountChanged => "agent_account_changed",
            AuditKind::AgentAccountDeleted => "agent_account_deleted",
            AuditKind::AgentPasswordReset => "agent_password_reset",
            AuditKind::AgentPasswordSet => "agent_password_set",
            AuditKind::WebhookCreated => "webhook_created",
            AuditKind::WebhookDeleted => "webhook_deleted",
            AuditKind::ApiTokenCreated => "api_token_created",
            AuditKind::ApiTokenRevoked => "api_token_revoked",
            AuditKind::ConsoleLinkCreated => "console_link_created",
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_as_their_names() {
        for kind in AuditKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(kind.to_string(), kind.as_str());
        }
        // Stored logs hold these names: spelled out once, so a renamed variant fails here.
        let names: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "login_succeeded",
                "login_failed",
                "login_rate_limited",
                "session_started",
                "agent_waiting",
                "agent_joined",
                "agent_denied",
                "session_ended",
                "pin_rejected",
                "pin_rate_limited",
                "pin_renewed",
                "agent_input_refused",
                "page_recovered",
                "control_granted",
                "control_revoked",
                "view_paused",
                "view_resumed",
                "transcript_kept",
                "rule_created",
                "rule_deleted",
                "rule_drafted",
                "rule_draft_discarded",
                "rules_published",
                "rule_rolled_back",
                "rule_picker_opened",
                "company_policy_changed",
                "start_secret_read",
                "start_secret_renewed",
                "start_token_accepted",
                "start_token_refused",
                "company_settings_changed",
                "company_logo_changed",
                "agent_account_created",
                "agent_account_changed",
                "agent_account_deleted",
                "agent_password_reset",
                "agent_password_set",
                "webhook_created",
                "webhook_deleted",
                "api_token_created",
                "api_token_revoked",
                "console_link_created",
            ]
        );
    }
}
