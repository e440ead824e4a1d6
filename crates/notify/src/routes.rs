//! `GET /notify/smsapi/callback`: SMSAPI's delivery reports for this tenant's messages.

use axum::extract::RawQuery;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use wspolnota_core::{AppError, Ctx};

use crate::ID_;
use crate::channels::smsapi::{ReportStatus, parse_callback};
use crate::engine::deliver;

pub fn router() -> Router {
    Router::new().route("/notify/smsapi/callback", get(smsapi_callback))
}

/// SMSAPI expects `OK`; a report for an unknown message is answered OK too (it may be another
/// system's), and a malformed one is refused.
async fn smsapi_callback(Extension(ctx): Extension<Ctx>, RawQuery(query): RawQuery) -> Response {
    let result = async {
        if !ctx.tenant()?.has_eservice(ID_) {
            return Err(AppError::not_found("no such page"));
        }
        let reports = parse_callback(query.as_deref().unwrap_or_default())
            .map_err(|e| AppError::validation("query", e.to_string()))?;
        for r in reports {
            let (delivered, failed) = match r.status {
                ReportStatus::Delivered => (true, false),
                ReportStatus::PermanentFailure => (false, true),
                _ => (false, false),
            };
            if delivered || failed {
                // After a duplicate-idx answer we hold our own id as the provider id.
                let key = r.idx.clone().unwrap_or_else(|| r.provider_id.clone());
                let hit =
                    deliver::report(&ctx, &r.provider_id, delivered, Some("undelivered")).await?;
                if !hit {
                    deliver::report(&ctx, &key, delivered, Some("undelivered")).await?;
                }
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => "OK".into_response(),
        Err(e) => e.into_response(),
    }
}
