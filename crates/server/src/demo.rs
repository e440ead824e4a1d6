//! Demo data for `serve --demo`: the five tenants from `tenants/`, and for each one a
//! resident, an administrator and a finance clerk; one platform operator. Password
//! `wspolnota-demo`. Tenants with the finance e-service also get a register of parties with
//! three years of obligations and payments (`wspolnota_finance::demo`), and the resident is
//! linked to one of its parties.
//!
//! Idempotent: a second start finds the accounts and the parties and adds nothing.

use std::time::Instant;

use anyhow::Context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::task::JoinSet;
use wspolnota_auth::entity::account;
use wspolnota_auth::password;
use wspolnota_core::value::Email;
use wspolnota_core::{AccountId, ClerkScope, Ctx, Role};
use wspolnota_finance::demo::{DemoSize, DemoSummary};

use crate::registry;
use crate::state::AppState;

pub const PASSWORD: &str = "wspolnota-demo";

/// The seed of the demo register: the same names, amounts and payments on every machine.
pub const FINANCE_SEED: u64 = 2026;

const FINANCE: &str = "finance";

/// Multiplies the size of the demo registers: 1 is about twenty parties a gmina and thirty in
/// the powiat (what the tests use); the default, 5, is about 115 a gmina and 155 in the powiat
/// (some 12 s of seeding in a release build); 15 gives 345 a gmina.
pub const SCALE_ENV: &str = "WSPOLNOTA_DEMO_SCALE";

const DEFAULT_SCALE: usize = 5;

fn demo_size() -> anyhow::Result<DemoSize> {
    match std::env::var(SCALE_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            let factor: usize = v
                .trim()
                .parse()
                .with_context(|| format!("{SCALE_ENV}={v:?} is not a whole number"))?;
            anyhow::ensure!(
                (1..=100).contains(&factor),
                "{SCALE_ENV} must be between 1 and 100, got {factor}"
            );
            Ok(DemoSize::scaled(factor))
        }
        _ => Ok(DemoSize::scaled(DEFAULT_SCALE)),
    }
}

struct DemoAccount {
    scope: String,
    email: String,
    name: &'static str,
    roles: Vec<Role>,
}

fn demo_accounts(state: &AppState) -> Vec<DemoAccount> {
    let mut admin_roles = vec![Role::TenantAdmin];
    admin_roles.extend(ClerkScope::ALL.map(Role::Clerk));
    let mut all = Vec::new();
    for tenant in state.registry.all() {
        let slug = tenant.slug().as_str();
        let account = |local: &str, name, roles| DemoAccount {
            scope: slug.to_owned(),
            email: format!("{local}@{slug}.test"),
            name,
            roles,
        };
        all.push(account(
            "mieszkaniec",
            "Jan Mieszkaniec",
            vec![Role::Resident],
        ));
        all.push(account(
            "admin",
            "Anna Administratorka",
            admin_roles.clone(),
        ));
        if tenant.config().e_services.iter().any(|e| e == FINANCE) {
            all.push(account(
                "skarbnik",
                "Skarbnik",
                vec![Role::Clerk(ClerkScope::Finance)],
            ));
        }
    }
    all.push(DemoAccount {
        scope: "platform".into(),
        email: "operator@platform.test".into(),
        name: "Operator Platformy",
        roles: vec![Role::PlatformOperator],
    });
    all
}

/// Creates the demo accounts that do not exist yet; returns their e-mail addresses.
///
/// This is `AuthService::ensure_account` for many accounts at once: they all share the one
/// published password, so it is hashed once (argon2 takes about half a second in a debug
/// build, and a start with sixteen hashes was most of `serve --demo`'s start-up time).
pub async fn seed(state: &AppState) -> anyhow::Result<Vec<String>> {
    let mut missing = Vec::new();
    for wanted in demo_accounts(state) {
        if account_id(state, &wanted.scope, &wanted.email)
            .await?
            .is_none()
        {
            missing.push(wanted);
        }
    }
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let hash = tokio::task::spawn_blocking(|| password::hash_password(PASSWORD))
        .await?
        .context("hashing the demo password")?;
    let mut created = Vec::with_capacity(missing.len());
    for wanted in missing {
        let email = Email::parse(&wanted.email)?;
        state
            .auth
            .create_account(
                &wanted.scope,
                &email,
                wanted.name,
                Some(hash.clone()),
                &wanted.roles,
                None,
            )
            .await?;
        created.push(wanted.email);
    }
    Ok(created)
}

/// The id of the account with this e-mail in `scope` (a tenant slug or "platform").
pub async fn account_id(
    state: &AppState,
    scope: &str,
    email: &str,
) -> anyhow::Result<Option<AccountId>> {
    let email = Email::parse(email)?;
    let tx = state.store.platform_begin().await?;
    let found = account::Entity::find()
        .filter(account::Column::Tenant.eq(scope))
        .filter(account::Column::Email.eq(email.as_str()))
        .one(&tx)
        .await?;
    tx.commit().await?;
    Ok(found.map(|a| AccountId(a.id)))
}

/// Seeds the finance register of every tenant with the finance e-service, the tenants in
/// parallel (each in one transaction of its own). Returns each tenant's summary.
pub async fn seed_finance(state: &AppState) -> anyhow::Result<Vec<(String, DemoSummary)>> {
    let size = demo_size()?;
    let mut tasks = JoinSet::new();
    for tenant in state.registry.all() {
        if !tenant.config().e_services.iter().any(|e| e == FINANCE) {
            continue;
        }
        let slug = tenant.slug().as_str().to_owned();
        let resident = account_id(state, &slug, &format!("mieszkaniec@{slug}.test")).await?;
        let state = state.clone();
        tasks.spawn(async move {
            let ctx = Ctx::system(tenant, state.services());
            let summary = wspolnota_finance::demo::seed_sized(
                &state.finance,
                &ctx,
                resident,
                FINANCE_SEED,
                size,
            )
            .await;
            (slug, summary)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (slug, summary) = joined?;
        let summary = summary.with_context(|| format!("demo finance data of tenant {slug}"))?;
        done.push((slug, summary));
    }
    done.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(done)
}

/// Syncs the tenant files, then seeds the accounts and the finance registers.
pub async fn prepare(state: &AppState) -> anyhow::Result<()> {
    for file in registry::read_dir(state, &state.settings.tenants_dir)? {
        registry::upsert(state, &file).await?;
    }
    registry::reload(state).await?;
    let created = seed(state).await?;
    if !created.is_empty() {
        tracing::info!(
            accounts = created.len(),
            "demo accounts created (password: {PASSWORD})"
        );
    }
    let started = Instant::now();
    for (slug, s) in seed_finance(state).await? {
        if !s.skipped {
            tracing::info!(
                tenant = %slug,
                parties = s.parties,
                obligations = s.obligations,
                installments = s.installments,
                payments = s.payments,
                "demo finance data created"
            );
        }
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "demo finance data ready"
    );
    Ok(())
}
