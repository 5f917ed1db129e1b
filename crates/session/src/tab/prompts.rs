//! What of the page waits for the customer's answer: a dialog (`alert`, `confirm`, `prompt`,
//! `beforeunload`) or a site's sign-in prompt, with when it is answered for them.

use model::{DialogId, SignInId};
use protocol::ServerMessage;
use tokio::time::Instant;

/// A site's sign-in prompt that went to the customer.
pub(crate) struct OpenSignIn {
    pub(crate) id: SignInId,
    pub(crate) sign_in: browser::SignIn,
    /// When it is refused if the customer has not answered.
    pub(crate) due: Instant,
}

impl OpenSignIn {
    /// The prompt as the customer is shown it.
    pub(crate) fn message(&self) -> ServerMessage {
        ServerMessage::SignIn {
            prompt: self.id,
            origin: self.sign_in.origin.clone(),
            realm: self.sign_in.realm.clone(),
        }
    }
}

/// A dialog of the page that went to the customer.
pub(crate) struct OpenDialog {
    pub(crate) id: DialogId,
    pub(crate) dialog: browser::Dialog,
    /// When it gets its default answer if the customer has not answered.
    pub(crate) due: Instant,
}

impl OpenDialog {
    /// The dialog as the customer is shown it.
    pub(crate) fn message(&self) -> ServerMessage {
        ServerMessage::Dialog {
            dialog: self.id,
            kind: self.dialog.kind,
            message: self.dialog.message.clone(),
            default_text: self.dialog.default_prompt.clone(),
        }
    }
}
