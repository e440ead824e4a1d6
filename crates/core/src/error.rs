//! The one error catalogue. Every error that leaves the platform carries a stable
//! [`ErrorCode`]; internal details are logged with the request id, never sent to clients.

use std::fmt;

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::value::ValueError;

/// Stable, machine-readable error codes (`extensions.code` in GraphQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    Conflict,
    RateLimited,
    Suspended,
    /// A service the platform depends on (a payment gateway) failed or did not answer.
    Upstream,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Validation => "VALIDATION",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Suspended => "SUSPENDED",
            Self::Upstream => "UPSTREAM",
            Self::Internal => "INTERNAL",
        }
    }

    /// The HTTP status used when the error ends a plain HTTP request (not a GraphQL field).
    pub fn http_status(self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Suspended => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error on its way to a client: a code, a message safe to show, optionally the input
/// field it concerns, and (for internal errors) the hidden cause.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    #[source]
    source: Option<Source>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            source: None,
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// A dependency failed; `message` says which, in words safe to show the client.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Upstream, message)
    }

    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RateLimited, message)
    }

    pub fn suspended(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Suspended, message)
    }

    /// A validation error naming the offending input field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(ErrorCode::Validation, message)
        }
    }

    /// A value that failed to parse, attributed to the input field it came from.
    pub fn invalid(field: impl Into<String>, err: ValueError) -> Self {
        Self::validation(field, err.to_string())
    }

    /// An unexpected failure: the client sees a generic message, the cause is logged.
    pub fn internal(source: impl Into<Source>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "internal error")
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    fn log_if_internal(&self) {
        if let Some(source) = &self.source {
            tracing::error!(error.code = %self.code, error.cause = %ErrorChain(source.as_ref()), "internal error");
        }
    }

    /// The JSON body used for plain-HTTP errors, shaped like a GraphQL error response so
    /// that clients handle both alike.
    pub fn to_json(&self) -> serde_json::Value {
        let mut extensions = serde_json::json!({ "code": self.code.as_str() });
        if let (Some(field), Some(map)) = (&self.field, extensions.as_object_mut()) {
            map.insert("field".into(), field.clone().into());
        }
        serde_json::json!({ "errors": [{ "message": self.message, "extensions": extensions }] })
    }
}

struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.log_if_internal();
        async_graphql::Error::new(self.message.clone()).extend_with(|_, ext| {
            ext.set("code", self.code.as_str());
            if let Some(field) = &self.field {
                ext.set("field", field.as_str());
            }
        })
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        (self.code.http_status(), axum::Json(self.to_json())).into_response()
    }
}

impl From<sea_orm_migration::sea_orm::DbErr> for AppError {
    fn from(err: sea_orm_migration::sea_orm::DbErr) -> Self {
        Self::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_the_field_in_extensions() {
        let err = AppError::validation("email", "is not an e-mail address").extend();
        let ext = serde_json::to_value(&err.extensions).unwrap_or_default();
        assert_eq!(ext["code"], "VALIDATION");
        assert_eq!(ext["field"], "email");
    }

    #[test]
    fn internal_errors_hide_their_cause_from_clients() {
        let err = AppError::internal(std::io::Error::other("disk on fire at /secret/path"));
        assert_eq!(err.message(), "internal error");
        assert!(!err.to_json().to_string().contains("secret"));
    }
}
