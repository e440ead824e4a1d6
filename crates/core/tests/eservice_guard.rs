//! An e-service a tenant has not enabled is invisible in that tenant's schema and refused there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, EmptySubscription, Object, Schema};
use async_trait::async_trait;
use sea_orm_migration::sea_orm::DatabaseTransaction;
use wspolnota_core::graphql::{EServiceGuard, eservice_visible};
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{
    Actor, AppError, AppResult, Ctx, MemoryKv, RequestId, Scope, Services, SystemClock, Tenant,
    TenantConnector, TenantSlug, TenantStatus,
};

struct NoDatabase;

#[async_trait]
impl TenantConnector for NoDatabase {
    async fn begin(&self, _: &TenantSlug) -> AppResult<DatabaseTransaction> {
        Err(AppError::not_found("no database in this test"))
    }
}

struct Finance;

#[Object]
impl Finance {
    async fn ping(&self) -> &str {
        "pong"
    }
}

#[derive(Default)]
struct Query;

fn finance_visible(gql: &Context<'_>) -> bool {
    eservice_visible(gql, "finance")
}

#[Object]
impl Query {
    #[graphql(guard = "EServiceGuard(\"finance\")", visible = "finance_visible")]
    async fn finance(&self) -> Finance {
        Finance
    }

    async fn always(&self) -> bool {
        true
    }
}

fn ctx_for(slug: &str, e_services: &str) -> Ctx {
    let toml = format!(
        "slug = \"{slug}\"\nname = \"Gmina {slug}\"\nkind = \"gmina_wiejska\"\nteryt = \"0614062\"\npopulation = 1\ne_services = {e_services}\n[address]\nstreet = \"x\"\npostal_code = \"24-170\"\ncity = \"x\"\n"
    );
    let config = TenantConfig::from_toml("test.toml", &toml, &["finance"]).unwrap();
    let services = Services::new(
        Arc::new(NoDatabase),
        Arc::new(MemoryKv::default()),
        Arc::new(SystemClock),
    );
    Ctx::new(
        Scope::Tenant(Arc::new(Tenant::new(config, TenantStatus::Active))),
        Actor::Anonymous,
        RequestId::new(),
        services,
    )
}

fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
    Schema::new(Query, EmptyMutation, EmptySubscription)
}

async fn run(ctx: Ctx, query: &str) -> async_graphql::Response {
    schema()
        .execute(async_graphql::Request::new(query).data(ctx))
        .await
}

#[tokio::test]
async fn enabled_eservice_answers() {
    let res = run(ctx_for("kurow", "[\"finance\"]"), "{ finance { ping } }").await;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    assert_eq!(res.data.into_json().unwrap()["finance"]["ping"], "pong");
}

#[tokio::test]
async fn disabled_eservice_is_refused_with_not_found() {
    let res = run(ctx_for("biszcza", "[]"), "{ finance { ping } }").await;
    let err = res.errors.first().expect("an error");
    let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
    assert_eq!(
        code,
        Some(async_graphql::Value::from("NOT_FOUND")),
        "{err:?}"
    );
}

#[tokio::test]
async fn disabled_eservice_is_invisible_in_introspection() {
    let fields = |res: async_graphql::Response| -> Vec<String> {
        let json = res.data.into_json().unwrap();
        json["__schema"]["queryType"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = "{ __schema { queryType { fields { name } } } }";
    let on = fields(run(ctx_for("kurow", "[\"finance\"]"), q).await);
    let off = fields(run(ctx_for("biszcza", "[]"), q).await);
    assert!(on.contains(&"finance".to_owned()), "{on:?}");
    assert!(!off.contains(&"finance".to_owned()), "{off:?}");
    assert!(off.contains(&"always".to_owned()));
}

#[test]
fn schema_export_without_a_tenant_shows_every_eservice() {
    assert!(schema().sdl().contains("finance: Finance!"));
}
