//! The one error vocabulary of the HTTP API: `ErrorCode → (status, code)`, answered as
//! `{"error": CODE, "message": TEXT}`. Internal causes are logged with an id, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $code:literal)),* $(,)?) => {
        /// Every error the API can answer with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status),* }
            }
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),* }
            }
            /// All codes, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];
        }
    };
}

error_codes! {
    InvalidRequest => (BAD_REQUEST, "invalid_request"),
    InvalidSelector => (BAD_REQUEST, "invalid_selector"),
    InvalidUrlPattern => (BAD_REQUEST, "invalid_url_pattern"),
    Unauthorized => (UNAUTHORIZED, "unauthorized"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials"),
    InvalidToken => (UNAUTHORIZED, "invalid_token"),
    InvalidTicket => (UNAUTHORIZED, "invalid_ticket"),
    StartTokenRequired => (UNAUTHORIZED, "start_token_required"),
    StartTokenExpired => (UNAUTHORIZED, "start_token_expired"),
    StartTokenInvalid => (UNAUTHORIZED, "start_token_invalid"),
    Forbidden => (FORBIDDEN, "forbidden"),
    ForbiddenOrigin => (FORBIDDEN, "forbidden_origin"),
    OriginNotAllowed => (FORBIDDEN, "origin_not_allowed"),
    NotFound => (NOT_FOUND, "not_found"),
    UnknownCompany => (NOT_FOUND, "unknown_company"),
    InvalidPin => (NOT_FOUND, "invalid_pin"),
    Conflict => (CONFLICT, "conflict"),
    NoDrafts => (CONFLICT, "no_drafts"),
    NoHistory => (CONFLICT, "no_history"),
    SettingsChanged => (CONFLICT, "settings_changed"),
    InvalidStartUrl => (BAD_REQUEST, "invalid_start_url"),
    UnknownColor => (BAD_REQUEST, "unknown_color"),
    InvalidColor => (BAD_REQUEST, "invalid_color"),
    LowContrast => (BAD_REQUEST, "low_contrast"),
    UnknownLanguage => (BAD_REQUEST, "unknown_language"),
    UnknownTextKey => (BAD_REQUEST, "unknown_text_key"),
    TextTooLong => (BAD_REQUEST, "text_too_long"),
    InvalidText => (BAD_REQUEST, "invalid_text"),
    InvalidDomainPattern => (BAD_REQUEST, "invalid_domain_pattern"),
    TooManyDomainPatterns => (BAD_REQUEST, "too_many_domain_patterns"),
    InvalidEmbedOrigin => (BAD_REQUEST, "invalid_embed_origin"),
    TooManyEmbedOrigins => (BAD_REQUEST, "too_many_embed_origins"),
    InvalidReference => (BAD_REQUEST, "invalid_reference"),
    InvalidPinDigits => (BAD_REQUEST, "invalid_pin_digits"),
    InvalidPinTtl => (BAD_REQUEST, "invalid_pin_ttl"),
    InvalidLogo => (UNSUPPORTED_MEDIA_TYPE, "invalid_logo"),
    LogoTooLarge => (PAYLOAD_TOO_LARGE, "logo_too_large"),
    UnknownFileChooser => (NOT_FOUND, "unknown_file_chooser"),
    UnknownDownload => (NOT_FOUND, "unknown_download"),
    DownloadUsed => (GONE, "download_used"),
    DownloadExpired => (GONE, "download_expired"),
    FileTooLarge => (PAYLOAD_TOO_LARGE, "file_too_large"),
    Busy => (SERVICE_UNAVAILABLE, "busy"),
    SessionEnded => (GONE, "session_ended"),
    RateLimited => (TOO_MANY_REQUESTS, "rate_limited"),
    AtCapacity => (SERVICE_UNAVAILABLE, "at_capacity"),
    NotReady => (SERVICE_UNAVAILABLE, "not_ready"),
    InvalidEmail => (BAD_REQUEST, "invalid_email"),
    InvalidName => (BAD_REQUEST, "invalid_name"),
    InvalidRole => (BAD_REQUEST, "invalid_role"),
    PasswordTooShort => (BAD_REQUEST, "password_too_short"),
    EmailTaken => (CONFLICT, "email_taken"),
    VersionConflict => (CONFLICT, "version_conflict"),
    CannotChangeSelf => (CONFLICT, "cannot_change_self"),
    InvalidLink => (NOT_FOUND, "invalid_link"),
    InvalidWebhookUrl => (BAD_REQUEST, "invalid_webhook_url"),
    WebhookAddressRefused => (BAD_REQUEST, "webhook_address_refused"),
    UnknownWebhookEvent => (BAD_REQUEST, "unknown_webhook_event"),
    TooManyWebhooks => (CONFLICT, "too_many_webhooks"),
    UnknownScope => (BAD_REQUEST, "unknown_scope"),
    TooManyTokens => (CONFLICT, "too_many_tokens"),
    Internal => (INTERNAL_SERVER_ERROR, "internal"),
}

/// The body of every error answer, the one the OpenAPI document names for them all
/// (`Error`): `{"error": CODE, "message": TEXT}`, with `field` when one field is at fault.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    /// The stable code clients act on; its HTTP status is always the same.
    #[schema(schema_with = code_schema)]
    error: &'static str,
    /// What went wrong, in English, for people; it may change.
    message: String,
    /// The field of the request body the error is about (`colors.primary`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

/// Every code of the table, each with its status, for the document.
fn code_schema() -> utoipa::openapi::Object {
    let listed: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| format!("`{}` ({})", c.as_str(), c.status().as_u16()))
        .collect();
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
        .description(Some(format!("The error's code, with its status: {}.", listed.join(", "))))
        .build()
}

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    code: ErrorCode,
    message: String,
    /// The field of the request body the error is about (`colors.primary`), so a form can
    /// show it next to that field.
    field: Option<String>,
    /// Sent as `Retry-After` (whole seconds, rounded up).
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), field: None, retry_after: None }
    }

    /// The code this error answers with.
    pub(crate) fn code(&self) -> ErrorCode {
        self.code
    }

    /// Names the field of the request body the error is about.
    pub(crate) fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Tells the client when to try again.
    pub(crate) fn retry_after(mut self, wait: std::time::Duration) -> ApiError {
        self.retry_after = Some(wait);
        self
    }

    /// Logs the cause with a fresh error id and answers `internal` with that id only.
    pub(crate) fn internal(cause: &dyn std::error::Error) -> ApiError {
        let error_id = model::random_token()[..12].to_owned();
        tracing::error!(error_id, error = %ErrorChain(cause), "Request failed.");
        ApiError::new(ErrorCode::Internal, format!("internal error (id {error_id})"))
    }
}

/// Prints an error with its sources: "a: b: c".
struct ErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: self.code.as_str(), message: self.message, field: self.field };
        let mut res = (self.code.status(), axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.max(1).into());
        }
        res
    }
}

impl ErrorCode {
    /// The code of a setting's stable snake_case name (`policy`'s field errors), or `None` for
    /// a name this table does not have.
    pub(crate) fn of_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl From<store::StoreError> for ApiError {
    /// A database that cannot be reached fails the request with 503 `not_ready` (readiness
    /// says the same); the server and its live sessions go on. Anything else is internal.
    fn from(e: store::StoreError) -> ApiError {
        if e.is_unavailable() {
            tracing::warn!(error = %ErrorChain(&e), "The database cannot be reached; answering not_ready.");
            return ApiError::new(
                ErrorCode::NotReady,
                "the database cannot be reached right now; try again shortly",
            );
        }
        ApiError::internal(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|c| c.is_ascii_lowercase() || c == b'_'), "{s}");
        }
        assert_eq!(ErrorCode::InvalidPin.status(), StatusCode::NOT_FOUND);
        assert_eq!(ErrorCode::RateLimited.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
