//! Forgetting spent credentials. Refresh tokens and e-mail link tokens are refused once they
//! expire, yet their rows (account, tenant, times) stayed in the platform database for good:
//! personal data kept with no purpose (GDPR art. 5(1)(e)). A row is deleted once it has been
//! expired for [`AuthSettings::expired_tokens_kept`](crate::AuthSettings): until then an old
//! link still answers "expired" rather than "not valid". Deleting changes no answer about
//! access: an expired token is refused before reuse detection or "already used" look at it.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use wspolnota_core::AppResult;

use crate::AuthService;
use crate::entity::{account_token, refresh_token};

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub refresh_tokens: u64,
    pub account_tokens: u64,
}

impl AuthService {
    /// Deletes the tokens of every tenant that expired before `now` less the time they are
    /// kept. Idempotent: replicas may run it at the same time.
    pub async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> AppResult<Purged> {
        let before = now - self.settings.expired_tokens_kept;
        let db = self.store.platform_conn();
        let refresh_tokens = refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::ExpiresAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
        let account_tokens = account_token::Entity::delete_many()
            .filter(account_token::Column::ExpiresAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
        Ok(Purged {
            refresh_tokens,
            account_tokens,
        })
    }
}
