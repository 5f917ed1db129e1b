//! Files in and out of a session: the customer's files for the page's file chooser, and the
//! single-use links to what the page downloaded. Both are the customer's alone.

use crate::auth::Bearer;
use crate::error::{ApiError, ErrorBody};
use crate::multipart;
use crate::routes::sessions::{holder_of, parse_session_id, ticket_error};
use crate::{AppState, ErrorCode};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use model::{FileChooserId, Role};
use serde::Deserialize;
use session::{DownloadError, TicketError, UploadError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What a form adds around its files, at most, in bytes (boundaries, part headers).
const FORM_OVERHEAD: u64 = 64 * 1024;
/// Bytes read from a downloaded file at a time.
const CHUNK: usize = 64 * 1024;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(upload);
    let upload = upload.layer(DefaultBodyLimit::disable());
    OpenApiRouter::new().routes((schemas, paths, upload)).routes(routes!(download))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    chooser: u64,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::FileTooLarge,
        format!("the files are larger than {limit} bytes, the most the page may be given at once"),
    )
}

/// `POST /sessions/{id}/files?chooser=` (the customer's token): the files of a
/// `multipart/form-data` body go to the page's open file chooser.
#[utoipa::path(
    post,
    path = "/sessions/{id}/files",
    params(("id" = model::SessionId, Path, description = "The session's id."), UploadQuery),
    request_body(description = "The files, as `multipart/form-data` (at most `session.max_upload_bytes`).", content(("multipart/form-data"))),
    responses(
        (status = 204, description = "The files went to the page's file chooser."),
        (status = 400, description = "`invalid_request`: not a form with files, or more than the chooser takes", body = ErrorBody),
        (status = 403, description = "`forbidden`: only the customer gives files", body = ErrorBody),
        (status = 404, description = "`not_found`: not a session id; `unknown_file_chooser`: the chooser is not open", body = ErrorBody),
        (status = 410, description = "`session_ended`", body = ErrorBody),
        (status = 413, description = "`file_too_large`", body = ErrorBody),
        (status = 503, description = "`busy`: the page did not take them in time", body = ErrorBody),
    )
)]
async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    Bearer(token): Bearer,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let holder = holder_of(&state, &id, &token).await?;
    if holder.role != Role::Customer {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only the customer gives files to the page",
        ));
    }
    let limit = state.0.registry.max_upload_bytes();
    let body_limit = limit.saturating_add(FORM_OVERHEAD);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > body_limit) {
        return Err(too_large(limit));
    }
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multipart::boundary(content_type)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?;
    let max = usize::try_from(body_limit).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| too_large(limit))?;
    let parts = multipart::files(&bytes, &boundary)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?;
    drop(bytes);
    let total: u64 = parts.iter().map(|p| p.bytes.len() as u64).sum();
    if total > limit {
        return Err(too_large(limit));
    }
    // The browser makes each name one plain file name.
    let files = parts
        .into_iter()
        .map(|p| session::UploadFile { name: p.file_name, bytes: p.bytes })
        .collect();
    let handle = state
        .0
        .registry
        .session(&holder.session)
        .ok_or_else(|| ticket_error(TicketError::SessionEnded))?;
    handle
        .upload(&holder.participant, FileChooserId(query.chooser), files)
        .await
        .map_err(upload_error)?;
    Ok(StatusCode::NO_CONTENT)
}

fn upload_error(e: UploadError) -> ApiError {
    let code = match e {
        UploadError::NotCustomer => ErrorCode::Forbidden,
        UploadError::UnknownChooser => ErrorCode::UnknownFileChooser,
        UploadError::TooManyFiles | UploadError::NoFiles => ErrorCode::InvalidRequest,
        UploadError::Busy => ErrorCode::Busy,
        UploadError::SessionEnded => ErrorCode::SessionEnded,
    };
    ApiError::new(code, e.to_string())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DownloadQuery {
    token: String,
}

/// `GET /sessions/{id}/download?token=`: the file the page downloaded, once (the token is the
/// customer's single-use link; it is in the query, which is never logged).
#[utoipa::path(
    get,
    path = "/sessions/{id}/download",
    params(("id" = model::SessionId, Path, description = "The session's id."), DownloadQuery),
    security(()),
    responses(
        (status = 200, description = "The file, as an attachment.", content(("application/octet-stream"))),
        (status = 404, description = "`not_found`: not a session id; `unknown_download`", body = ErrorBody),
        (status = 410, description = "`download_used`, `download_expired`, `session_ended`", body = ErrorBody),
    )
)]
async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let id = parse_session_id(&id)?;
    let handle = state
        .0
        .registry
        .session(&id)
        .ok_or_else(|| ApiError::new(ErrorCode::SessionEnded, "this session has ended"))?;
    let file = handle.take_download(&query.token).await.map_err(|e| {
        let code = match e {
            DownloadError::NotFound => ErrorCode::UnknownDownload,
            DownloadError::Used => ErrorCode::DownloadUsed,
            DownloadError::Expired => ErrorCode::DownloadExpired,
            DownloadError::SessionEnded => ErrorCode::SessionEnded,
        };
        ApiError::new(code, e.to_string())
    })?;
    let opened = tokio::fs::File::open(&file.path).await.map_err(|e| {
        // The session ended meanwhile, and its files went with it.
        tracing::debug!(error = %e, "A downloaded file is gone.");
        ApiError::new(ErrorCode::SessionEnded, "this session has ended")
    })?;
    let stream = futures_util::stream::unfold(opened, |mut file| async move {
        let mut buf = vec![0; CHUNK];
        match tokio::io::AsyncReadExt::read(&mut file, &mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_LENGTH, file.size.into());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.name)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(res)
}

/// `attachment` with the name: plain ASCII for old clients, and RFC 5987's UTF-8 form.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn the_file_name_is_given_in_both_forms() {
        assert_eq!(
            content_disposition("Rechnung März \"1\".pdf"),
            "attachment; filename=\"Rechnung M_rz _1_.pdf\"; \
             filename*=UTF-8''Rechnung%20M%C3%A4rz%20%221%22.pdf"
        );
    }
}
