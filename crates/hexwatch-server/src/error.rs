//! One error type for every route, answered as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to the client: `{"error": "...", "parameter": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message for the user.
    pub message: String,
    /// The query parameter or path segment at fault, if any.
    pub parameter: Option<String>,
}

impl ApiError {
    /// A 400 naming the parameter.
    #[must_use]
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            parameter: Some(parameter.to_owned()),
        }
    }

    /// A 404.
    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: message.into(), parameter: None }
    }

    /// An opaque 500; the cause is logged, not sent.
    #[must_use]
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error (logged on the server)".into(),
            parameter: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match &self.parameter {
            Some(p) => json!({ "error": self.message, "parameter": p }),
            None => json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}
