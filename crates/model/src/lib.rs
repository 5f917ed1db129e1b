//! The vocabulary every other crate speaks: typed ids, PINs, roles, geometry, frames' metadata,
//! audit kinds and secrets.
//!
//! Architecture Invariant: this crate does no IO (beyond asking the OS for random bytes)
//! and depends on nothing of ours.

mod audit;
mod dialog;
mod files;
mod frame;
mod geometry;
mod id;
mod locale;
mod pdf;
mod permission;
mod picker;
mod pin;
mod random;
mod role;
mod scope;
mod secret;
mod sign_in;
mod site_permission;
mod tab;
mod webhook;

pub use audit::AuditKind;
pub use dialog::{DialogId, DialogKind};
pub use files::FileChooserId;
pub use frame::FrameMeta;
pub use geometry::{Point, Rect, Viewport};
pub use id::{
    AgentId, CompanyId, DraftId, EventId, IdError, ParticipantId, RecordingId, RuleId, SessionId,
    TokenId, WebhookId,
};
pub use locale::Locale;
pub use pdf::PdfView;
pub use permission::{Permission, Permissions};
pub use picker::{Picker, PickerChoice, PickerId, PickerKind, PickerOption};
pub use pin::{Pin, PinError};
pub use random::{random_bytes, random_token};
pub use role::{AgentRole, Role, RuleKind};
pub use scope::ApiScope;
pub use secret::Secret;
pub use sign_in::{Credentials, SignInId};
pub use site_permission::SitePermission;
pub use tab::TabId;
pub use webhook::WebhookEvent;
