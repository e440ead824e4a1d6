//! Account e-mails through the delivery engine, on a real store and a real SMTP server: the
//! message goes to the given address without any party or consent, and once sent its body
//! (which held the one-time link) is gone from the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/smtp.rs"]
mod smtp;

use std::path::Path;
use std::sync::Arc;

use sea_orm::{EntityTrait, PaginatorTrait};
use smtp::{SmtpServer, TempDir, parse_eml};
use uuid::Uuid;
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{
    Ctx, ErrorCode, ManualClock, Services, Tenant, TenantConnector, TenantDb, TenantStatus,
};
use wspolnota_db::testing::TestStore;
use wspolnota_finance::Finance;
use wspolnota_finance::rules::NationalRules;
use wspolnota_notify::Notify;
use wspolnota_notify::account_mail::{
    AccountMail, REDACTED_BODY, RESET_PASSWORD_KIND, enqueue_account_mail, send_account_mail,
};
use wspolnota_notify::engine::deliver::{self, status};
use wspolnota_notify::entity::message;

const TO: &str = "ewa.nowak@example.test";
const LINK: &str =
    "https://zamosc.wspolnota.test/nowe-haslo?token=Zq3-abcdefghijklmnopqrstuvwxyz0123456789ABC";

fn tenant(e_services: &str) -> Arc<Tenant> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/zamosc.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("e_services = [").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    let text = format!(
        "{}e_services = [{e_services}]{}",
        &text[..start],
        &text[end..]
    );
    let config = TenantConfig::from_toml(
        "zamosc.toml",
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    Arc::new(Tenant::new(config, TenantStatus::Active))
}

struct Fx {
    ctx: Ctx,
    notify: Notify,
    _mail: TempDir,
    _db: TestStore,
}

async fn fixture(e_services: &str, smtp_url: Option<String>) -> Fx {
    let db = TestStore::new("wsp_account_mail", 4).await.unwrap();
    let tenant = tenant(e_services);
    db.store.migrate_tenant(tenant.slug()).await.unwrap();
    let redis = std::env::var("REDIS_URL").ok();
    let kv = wspolnota_db::connect_kv(
        redis.as_deref(),
        &format!("wsp_account_mail_{}", Uuid::new_v4().simple()),
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let services = Services::new(db.store.clone() as Arc<dyn TenantConnector>, kv, clock);
    let finance = Finance::new(
        NationalRules::embedded().unwrap(),
        b"test-pepper-test-pepper-test-pepper".to_vec(),
    );
    let mail = TempDir::new("account-mail");
    let notify = Notify::new(
        finance,
        Arc::new(move |k: &str| (k == "SMTP_URL").then(|| smtp_url.clone()).flatten()),
        mail.path().to_path_buf(),
    );
    Fx {
        ctx: Ctx::system(tenant, services),
        notify,
        _mail: mail,
        _db: db,
    }
}

async fn messages(ctx: &Ctx) -> Vec<message::Model> {
    let tx = TenantDb::begin(ctx).await.unwrap();
    let rows = message::Entity::find().all(&*tx).await.unwrap();
    tx.commit().await.unwrap();
    rows
}

#[tokio::test]
async fn a_reset_mail_is_sent_to_the_address_and_its_link_not_kept() {
    let smtp = SmtpServer::start();
    let fx = fixture(
        r#""finance", "payments", "statements", "notifications""#,
        Some(smtp.url()),
    )
    .await;
    let tx = TenantDb::begin(&fx.ctx).await.unwrap();
    enqueue_account_mail(
        &*tx,
        &fx.ctx,
        TO,
        AccountMail::ResetPassword { link: LINK.into() },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let queued = messages(&fx.ctx).await;
    assert_eq!(queued.len(), 1);
    let m = &queued[0];
    assert_eq!(
        (m.kind.as_str(), m.channel.as_str(), m.recipient.as_str()),
        (RESET_PASSWORD_KIND, "email", TO)
    );
    assert_eq!(m.party_id, None);
    assert!(m.body.contains(LINK), "{}", m.body);
    assert!(!m.subject.contains("token"), "{}", m.subject);

    let done = deliver::deliver(&fx.notify, &fx.ctx, 10).await.unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_tos, vec![TO.to_owned()]);
    let parsed = parse_eml(&received[0].path);
    assert_eq!(parsed["subject"], "Urząd Miasta Zamość: ustaw nowe hasło");
    let text: String = parsed["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert!(text.contains(LINK), "{text}");

    let sent = messages(&fx.ctx).await;
    assert_eq!(sent[0].status, status::DELIVERED);
    assert_eq!(sent[0].body, REDACTED_BODY);
}

#[tokio::test]
async fn without_notifications_nothing_is_queued() {
    let fx = fixture(r#""finance""#, None).await;
    let err = send_account_mail(&fx.ctx, TO, AccountMail::VerifyEmail { link: LINK.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "{err}");
    let tx = TenantDb::begin(&fx.ctx).await.unwrap();
    assert_eq!(message::Entity::find().count(&*tx).await.unwrap(), 0);
    tx.commit().await.unwrap();
    // The link (a live token) never shows in debug output.
    let debug = format!("{:?}", AccountMail::VerifyEmail { link: LINK.into() });
    assert!(!debug.contains("token"), "{debug}");
}
