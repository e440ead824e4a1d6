//! Consents: whether a party may be reached on a channel, with the date and source of each
//! decision. The rows (`finance_consents`, one per party and channel) are what planning reads;
//! every decision is audited. Staff record them through GraphQL, residents on the portal.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;
use wspolnota_core::db::TenantTx;
use wspolnota_core::{AppError, AppResult, Ctx, audit};
use wspolnota_finance::entity::{consent, party};

use crate::channel::ChannelKind;

/// Records the party's decision for the channel, replacing the previous one, in the caller's
/// transaction. `source` says where it comes from ("wniosek papierowy", "portal e-usług").
pub async fn set(
    tx: &TenantTx,
    ctx: &Ctx,
    party_id: Uuid,
    channel: ChannelKind,
    granted: bool,
    source: &str,
) -> AppResult<()> {
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 200 {
        return Err(AppError::validation(
            "source",
            "say where the consent comes from (1 to 200 characters)",
        ));
    }
    party::Entity::find_by_id(party_id)
        .one(&**tx)
        .await?
        .ok_or_else(|| AppError::validation("partyId", "no such party"))?;
    consent::Entity::delete_many()
        .filter(consent::Column::PartyId.eq(party_id))
        .filter(consent::Column::Channel.eq(channel.as_str()))
        .exec(&**tx)
        .await?;
    consent::ActiveModel {
        party_id: Set(party_id),
        channel: Set(channel.as_str().to_owned()),
        granted: Set(granted),
        at: Set(ctx.clock().now()),
        source: Set(source.to_owned()),
    }
    .insert(&**tx)
    .await?;
    audit::record(
        tx,
        ctx,
        "notify.consent",
        serde_json::json!({ "party": party_id, "channel": channel.as_str(), "granted": granted, "source": source }),
    )
    .await
}
