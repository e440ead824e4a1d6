//! Demo data for `serve --demo`: the five tenants from `tenants/`, and for each one a
//! resident and an administrator; one platform operator. Password `wspolnota-demo`.

use wspolnota_core::{ClerkScope, Role};

use crate::registry;
use crate::state::AppState;

pub const PASSWORD: &str = "wspolnota-demo";

pub async fn seed(state: &AppState) -> anyhow::Result<Vec<String>> {
    let mut created = Vec::new();
    let mut admin_roles = vec![Role::TenantAdmin];
    admin_roles.extend(ClerkScope::ALL.map(Role::Clerk));
    for tenant in state.registry.all() {
        let slug = tenant.slug().as_str();
        let accounts = [
            (
                format!("mieszkaniec@{slug}.test"),
                "Jan Mieszkaniec",
                vec![Role::Resident],
            ),
            (
                format!("admin@{slug}.test"),
                "Anna Administratorka",
                admin_roles.clone(),
            ),
        ];
        for (email, name, roles) in accounts {
            if state
                .auth
                .ensure_account(slug, &email, PASSWORD, name, &roles)
                .await?
            {
                created.push(email);
            }
        }
    }
    if state
        .auth
        .ensure_account(
            "platform",
            "operator@platform.test",
            PASSWORD,
            "Operator Platformy",
            &[Role::PlatformOperator],
        )
        .await?
    {
        created.push("operator@platform.test".into());
    }
    Ok(created)
}

/// Syncs the tenant files, then seeds the accounts.
pub async fn prepare(state: &AppState) -> anyhow::Result<()> {
    for file in registry::read_dir(&state, &state.settings.tenants_dir)? {
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
    Ok(())
}
