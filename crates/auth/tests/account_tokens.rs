//! E-mail verification and password reset at the service level, on a real store (PostgreSQL
//! when `DATABASE_URL` is set, SQLite otherwise; Redis when `REDIS_URL` is set) with a manual
//! clock: round trips, expiry, reuse, a newer link replacing an older one, tenant scoping,
//! sessions ending on reset, unknown addresses and the request limit, and the purge of
//! long-expired tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use uuid::Uuid;
use wspolnota_auth::email_tokens::{link_base, token_link};
use wspolnota_auth::entity::{account_token, refresh_token};
use wspolnota_auth::{AuthSecrets, AuthService, AuthSettings, Purged};
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{
    AccountId, Actor, AppError, Clock, Ctx, ErrorCode, KvStore, ManualClock, RequestId, Role,
    Roles, Scope, Services, Tenant, TenantConnector, TenantRegistry, TenantStatus,
};
use wspolnota_db::Store;
use wspolnota_db::testing::TestStore;

const PASSWORD: &str = "Zielona-Brama-2026";
const NEW_PASSWORD: &str = "Czerwony-Most-2027";
const EMAIL: &str = "ewa.nowak@example.test";

fn tenant(slug: &str) -> Tenant {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tenants/{slug}.toml"));
    let text = std::fs::read_to_string(path).unwrap();
    let config = TenantConfig::from_toml(
        &format!("{slug}.toml"),
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    Tenant::new(config, TenantStatus::Active)
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

struct Fx {
    store: Arc<Store>,
    kv: Arc<dyn KvStore>,
    clock: Arc<ManualClock>,
    auth: AuthService,
    zamosc: Arc<Tenant>,
    kurow: Arc<Tenant>,
    _db: TestStore,
}

impl Fx {
    async fn new() -> Self {
        let db = TestStore::new("wsp_auth_tokens", 6).await.unwrap();
        let store = db.store.clone();
        store.migrate_platform().await.unwrap();
        let zamosc = Arc::new(tenant("zamosc"));
        let kurow = Arc::new(tenant("kurow"));
        for t in [&zamosc, &kurow] {
            store.migrate_tenant(t.slug()).await.unwrap();
        }
        let redis = std::env::var("REDIS_URL").ok();
        let kv = wspolnota_db::connect_kv(
            redis.as_deref(),
            &format!("wsp_auth_tokens_{}", Uuid::new_v4().simple()),
        )
        .await
        .unwrap();
        let auth = AuthService::new(
            store.clone(),
            AuthSecrets {
                jwt: b"test-jwt-secret-test-jwt-secret-0123".to_vec(),
                pesel_pepper: b"test-pepper-test-pepper".to_vec(),
            },
            AuthSettings::default(),
        )
        .unwrap();
        Self {
            store,
            kv,
            clock: Arc::new(ManualClock::new(start())),
            auth,
            zamosc,
            kurow,
            _db: db,
        }
    }

    fn ctx(&self, tenant: &Arc<Tenant>, actor: Actor) -> Ctx {
        let services = Services::new(
            self.store.clone() as Arc<dyn TenantConnector>,
            self.kv.clone(),
            self.clock.clone(),
        );
        Ctx::new(
            Scope::Tenant(tenant.clone()),
            actor,
            RequestId::new(),
            services,
        )
    }

    fn zamosc(&self) -> Ctx {
        self.ctx(&self.zamosc, Actor::Anonymous)
    }

    fn kurow(&self) -> Ctx {
        self.ctx(&self.kurow, Actor::Anonymous)
    }

    fn signed_in(&self, id: AccountId) -> Ctx {
        self.ctx(
            &self.zamosc,
            Actor::Account {
                id,
                roles: Roles::new(vec![Role::Resident]),
                session: Uuid::now_v7().to_string(),
            },
        )
    }

    async fn resident(&self) -> AccountId {
        self.auth
            .register(&self.zamosc(), EMAIL, PASSWORD, "Ewa Nowak")
            .await
            .unwrap()
    }

    async fn stored_tokens(&self) -> u64 {
        account_token::Entity::find()
            .count(self.store.platform_conn())
            .await
            .unwrap()
    }
}

/// A validation error on the `token` field whose message says `what`.
fn assert_token_error(err: &AppError, what: &str) {
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert_eq!(err.field(), Some("token"), "{err}");
    assert!(err.message().contains(what), "{}", err.message());
}

#[tokio::test]
async fn verification_round_trip_once() {
    let fx = Fx::new().await;
    let id = fx.resident().await;
    let me = fx.auth.me(&fx.signed_in(id)).await.unwrap();
    assert!(!me.email_verified);

    let token = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap();
    assert_eq!(token.len(), 43, "32 bytes, unpadded base64url");
    assert_eq!(
        fx.auth.verify_email(&fx.zamosc(), &token).await.unwrap(),
        id
    );
    let me = fx.auth.me(&fx.signed_in(id)).await.unwrap();
    assert!(me.email_verified);
    // Only the hash is stored.
    let rows = account_token::Entity::find()
        .all(fx.store.platform_conn())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token);
    assert_eq!(rows[0].purpose, "verify_email");
    assert!(rows[0].used_at.is_some());

    let err = fx
        .auth
        .verify_email(&fx.zamosc(), &token)
        .await
        .unwrap_err();
    assert_token_error(&err, "already used");
    let err = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    let err = fx
        .auth
        .verify_email(&fx.zamosc(), "not-a-token-at-all")
        .await
        .unwrap_err();
    assert_token_error(&err, "not valid");
}

#[tokio::test]
async fn verification_link_works_48_hours() {
    let fx = Fx::new().await;
    let ttl = AuthSettings::default().verification_ttl;
    assert_eq!(ttl, Duration::hours(48));
    let id = fx.resident().await;
    let first = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap();
    fx.clock.advance(ttl);
    let err = fx
        .auth
        .verify_email(&fx.zamosc(), &first)
        .await
        .unwrap_err();
    assert_token_error(&err, "expired");

    let second = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap();
    fx.clock.advance(ttl - Duration::seconds(1));
    assert_eq!(
        fx.auth.verify_email(&fx.zamosc(), &second).await.unwrap(),
        id
    );
}

#[tokio::test]
async fn reset_sets_the_password_and_ends_every_session() {
    let fx = Fx::new().await;
    let id = fx.resident().await;
    let ctx = fx.zamosc();
    let one = fx
        .auth
        .login(&ctx, EMAIL, PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let two = fx
        .auth
        .login(&ctx, EMAIL, PASSWORD, "10.0.0.2")
        .await
        .unwrap();

    let (account, token) = fx
        .auth
        .request_password_reset(&ctx, "  Ewa.Nowak@Example.TEST ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account, id);

    // A password the policy refuses names the field and does not spend the link.
    let err = fx
        .auth
        .reset_password(&ctx, &token, "krotkie")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert_eq!(err.field(), Some("newPassword"));

    assert_eq!(
        fx.auth
            .reset_password(&ctx, &token, NEW_PASSWORD)
            .await
            .unwrap(),
        id
    );
    // Both sessions are over: their refresh tokens no longer work.
    for pair in [&one, &two] {
        let err = fx
            .auth
            .refresh(&ctx, &pair.refresh_token)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unauthenticated, "{err}");
    }
    let err = fx
        .auth
        .login(&ctx, EMAIL, PASSWORD, "10.0.0.3")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthenticated);
    let fresh = fx
        .auth
        .login(&ctx, EMAIL, NEW_PASSWORD, "10.0.0.3")
        .await
        .unwrap();
    fx.auth.refresh(&ctx, &fresh.refresh_token).await.unwrap();
    // The link reached the address, so it counts as verified.
    assert!(fx.auth.me(&fx.signed_in(id)).await.unwrap().email_verified);

    let err = fx
        .auth
        .reset_password(&ctx, &token, "Inne-Haslo-Zupelnie-2028")
        .await
        .unwrap_err();
    assert_token_error(&err, "already used");
}

#[tokio::test]
async fn reset_link_works_one_hour_and_only_the_latest() {
    let fx = Fx::new().await;
    let ttl = AuthSettings::default().reset_ttl;
    assert_eq!(ttl, Duration::hours(1));
    fx.resident().await;
    let ctx = fx.zamosc();
    let (_, first) = fx
        .auth
        .request_password_reset(&ctx, EMAIL)
        .await
        .unwrap()
        .unwrap();
    let (_, second) = fx
        .auth
        .request_password_reset(&ctx, EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(first, second);
    let err = fx
        .auth
        .reset_password(&ctx, &first, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_token_error(&err, "newer link");

    fx.clock.advance(ttl);
    let err = fx
        .auth
        .reset_password(&ctx, &second, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_token_error(&err, "expired");

    let (_, third) = fx
        .auth
        .request_password_reset(&ctx, EMAIL)
        .await
        .unwrap()
        .unwrap();
    fx.clock.advance(ttl - Duration::seconds(1));
    fx.auth
        .reset_password(&ctx, &third, NEW_PASSWORD)
        .await
        .unwrap();
    fx.auth
        .login(&ctx, EMAIL, NEW_PASSWORD, "10.0.0.1")
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_work_only_in_their_tenant_and_for_their_purpose() {
    let fx = Fx::new().await;
    let id = fx.resident().await;
    let verify = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap();
    let (_, reset) = fx
        .auth
        .request_password_reset(&fx.zamosc(), EMAIL)
        .await
        .unwrap()
        .unwrap();

    // Kurów has no such account, and Zamość's tokens do not exist there.
    assert!(
        fx.auth
            .request_password_reset(&fx.kurow(), EMAIL)
            .await
            .unwrap()
            .is_none()
    );
    let err = fx
        .auth
        .verify_email(&fx.kurow(), &verify)
        .await
        .unwrap_err();
    assert_token_error(&err, "not valid");
    let err = fx
        .auth
        .reset_password(&fx.kurow(), &reset, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_token_error(&err, "not valid");
    let err = fx
        .auth
        .issue_email_verification(&fx.kurow(), id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);

    // A token of one purpose is unknown to the other.
    let err = fx
        .auth
        .reset_password(&fx.zamosc(), &verify, NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_token_error(&err, "not valid");
    let err = fx
        .auth
        .verify_email(&fx.zamosc(), &reset)
        .await
        .unwrap_err();
    assert_token_error(&err, "not valid");

    // Both still work where they belong.
    fx.auth.verify_email(&fx.zamosc(), &verify).await.unwrap();
    fx.auth
        .reset_password(&fx.zamosc(), &reset, NEW_PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_address_gets_nothing_and_requests_are_limited() {
    let fx = Fx::new().await;
    fx.resident().await;
    let ctx = fx.zamosc();
    assert!(
        fx.auth
            .request_password_reset(&ctx, "nikt@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(fx.stored_tokens().await, 0);
    let err = fx
        .auth
        .request_password_reset(&ctx, "nie-adres")
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("email"));

    // Five requests per address and hour, whether or not the account exists.
    let limit = AuthSettings::default().reset_requests_per_window;
    for address in [EMAIL, "nikt@example.test"] {
        let already = u64::from(address != EMAIL);
        for _ in already..limit {
            fx.auth.request_password_reset(&ctx, address).await.unwrap();
        }
        let err = fx
            .auth
            .request_password_reset(&ctx, address)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited, "{address}: {err}");
    }
    // Another tenant counts on its own.
    fx.auth
        .request_password_reset(&fx.kurow(), EMAIL)
        .await
        .unwrap();
}

#[tokio::test]
async fn links_point_only_at_the_tenants_own_hosts() {
    let fx = Fx::new().await;
    let registry = TenantRegistry::new("wspolnota.test");
    registry.upsert(tenant("zamosc"));
    registry.upsert(tenant("kurow"));
    let ctx = fx.zamosc();

    let base = link_base(
        &registry,
        &ctx,
        "resetUrl",
        "https://zamosc.wspolnota.test/nowe-haslo?lang=pl&token=stary#x",
    )
    .unwrap();
    assert_eq!(
        token_link(&base, "abc-DEF_123"),
        "https://zamosc.wspolnota.test/nowe-haslo?lang=pl&token=abc-DEF_123"
    );
    for bad in [
        "https://kurow.wspolnota.test/nowe-haslo",
        "https://evil.example/zamosc.wspolnota.test",
        "https://zamosc.wspolnota.test.evil.example/",
        "https://user:pw@zamosc.wspolnota.test/",
        "javascript:alert(1)",
        "zamosc.wspolnota.test/nowe-haslo",
    ] {
        let err = link_base(&registry, &ctx, "resetUrl", bad).unwrap_err();
        assert_eq!(err.field(), Some("resetUrl"), "{bad}");
    }
}

#[tokio::test]
async fn the_migration_reverts_and_applies_again() {
    use wspolnota_migrations::MigratorTrait;
    use wspolnota_migrations::platform::Migrator;

    let fx = Fx::new().await;
    let id = fx.resident().await;
    // In one transaction, as `migrate_platform` runs them: on the SQLite pool, a DDL statement
    // on a connection that has not read since another one changed the schema is checked
    // against its stale copy ("duplicate column name" for a column just dropped).
    let tx = fx.store.platform_begin().await.unwrap();
    Migrator::down(&tx, Some(1)).await.unwrap();
    tx.commit().await.unwrap();
    let conn = fx.store.platform_conn();
    assert!(account_token::Entity::find().count(conn).await.is_err());
    fx.store.migrate_platform().await.unwrap();
    assert_eq!(fx.stored_tokens().await, 0);
    // The account survived, unverified, and the flows work again.
    assert!(!fx.auth.me(&fx.signed_in(id)).await.unwrap().email_verified);
    let token = fx
        .auth
        .issue_email_verification(&fx.zamosc(), id)
        .await
        .unwrap();
    fx.auth.verify_email(&fx.zamosc(), &token).await.unwrap();
}

#[tokio::test]
async fn expired_tokens_are_purged_a_week_after_they_expire() {
    let fx = Fx::new().await;
    let kept = AuthSettings::default().expired_tokens_kept;
    assert_eq!(kept, Duration::days(7));
    let refresh_ttl = AuthSettings::default().refresh_ttl;
    let id = fx.resident().await;
    let ctx = fx.zamosc();
    let link = fx.auth.issue_email_verification(&ctx, id).await.unwrap();
    let session = fx
        .auth
        .login(&ctx, EMAIL, PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let refresh_rows = || async {
        refresh_token::Entity::find()
            .count(fx.store.platform_conn())
            .await
            .unwrap()
    };
    assert_eq!((fx.stored_tokens().await, refresh_rows().await), (1, 1));

    // Expired, but kept for a week: the link still says why it fails.
    fx.clock
        .advance(AuthSettings::default().verification_ttl + kept - Duration::seconds(1));
    let purged = fx.auth.purge_expired_tokens(fx.clock.now()).await.unwrap();
    assert_eq!(purged, Purged::default());
    let err = fx.auth.verify_email(&ctx, &link).await.unwrap_err();
    assert_token_error(&err, "expired");

    // A week after it expired the link is forgotten; the session is not.
    fx.clock.advance(Duration::seconds(2));
    let purged = fx.auth.purge_expired_tokens(fx.clock.now()).await.unwrap();
    assert_eq!(
        purged,
        Purged {
            refresh_tokens: 0,
            account_tokens: 1
        }
    );
    assert_eq!((fx.stored_tokens().await, refresh_rows().await), (0, 1));
    let err = fx.auth.verify_email(&ctx, &link).await.unwrap_err();
    assert_token_error(&err, "not valid");
    // Purging again deletes nothing more.
    assert_eq!(
        fx.auth.purge_expired_tokens(fx.clock.now()).await.unwrap(),
        Purged::default()
    );

    // The session's refresh token goes a week after it expires; a new sign-in's stays and works.
    fx.clock
        .set(start() + refresh_ttl + kept + Duration::seconds(1));
    let fresh = fx
        .auth
        .login(&ctx, EMAIL, PASSWORD, "10.0.0.2")
        .await
        .unwrap();
    let purged = fx.auth.purge_expired_tokens(fx.clock.now()).await.unwrap();
    assert_eq!(purged.refresh_tokens, 1);
    assert_eq!(refresh_rows().await, 1);
    let err = fx
        .auth
        .refresh(&ctx, &session.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthenticated, "{err}");
    fx.auth.refresh(&ctx, &fresh.refresh_token).await.unwrap();
}
