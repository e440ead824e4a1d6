//! The operator's API on the platform host.

use serde_json::{Value, json};
use wspolnota_e2e::{
    PASSWORD, PLATFORM, SLUGS, StatusCode, TestApp, admin, error_code, host, resident,
};

const TENANTS: &str = "{ platform { tenants { slug name status schemaVersion } } }";
const SUSPEND: &str = "mutation($s: String!) { platform { suspendTenant(slug: $s) { status } } }";
const RESUME: &str = "mutation($s: String!) { platform { resumeTenant(slug: $s) { status } } }";
const CREATE: &str = "mutation($t: String!) { platform { createTenant(toml: $t) { slug } } }";

pub const TESTOWO: &str = r#"
slug = "testowo"
name = "Gmina Testowo"
kind = "gmina_wiejska"
teryt = "0614992"
population = 1234

[address]
street = "ul. Próbna 1"
postal_code = "24-100"
city = "Testowo"
"#;

fn tenant_row<'a>(data: &'a Value, slug: &str) -> &'a Value {
    data["platform"]["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} is not listed: {data}"))
}

#[tokio::test]
async fn suspended_tenant_answers_503_and_resumes() {
    let app = TestApp::spawn().await;
    let operator = app.operator_token().await;
    // A session on kurow from before the suspension.
    let kurow_resident = app
        .login(&host("kurow"), &resident("kurow"), PASSWORD)
        .await;

    let data = app
        .gql_ok(PLATFORM, SUSPEND, json!({ "s": "kurow" }), Some(&operator))
        .await;
    assert_eq!(data["platform"]["suspendTenant"]["status"], "SUSPENDED");

    let tenant = "{ tenant { slug } }";
    let (status, body) = app.gql(&host("kurow"), tenant, Value::Null, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "SUSPENDED", "{body}");
    assert!(body.get("data").is_none(), "{body}");
    // Signed-in residents and sign-ins are refused as well.
    let (status, body) = app.me(&host("kurow"), &kurow_resident.access).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "SUSPENDED", "{body}");
    let (status, body) = app
        .gql(
            &host("kurow"),
            "mutation { auth { login(email: \"mieszkaniec@kurow.test\", password: \"wspolnota-demo\") { accessToken } } }",
            Value::Null,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    // Every other tenant is served as before.
    for slug in SLUGS.iter().filter(|s| **s != "kurow") {
        let data = app.gql_ok(&host(slug), tenant, Value::Null, None).await;
        assert_eq!(data["tenant"]["slug"], *slug);
    }
    let data = app
        .gql_ok(PLATFORM, TENANTS, Value::Null, Some(&operator))
        .await;
    assert_eq!(tenant_row(&data, "kurow")["status"], "SUSPENDED");
    assert_eq!(tenant_row(&data, "zamosc")["status"], "ACTIVE");

    // Only the operator may do this: a tenant admin's token is for its tenant's host, where
    // platform operations do not exist.
    let zamosc_admin = app.login(&host("zamosc"), &admin("zamosc"), PASSWORD).await;
    let err = app
        .gql_err(
            &host("zamosc"),
            RESUME,
            json!({ "s": "kurow" }),
            Some(&zamosc_admin.access),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
    let (status, body) = app.gql(&host("kurow"), tenant, Value::Null, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    let data = app
        .gql_ok(PLATFORM, RESUME, json!({ "s": "kurow" }), Some(&operator))
        .await;
    assert_eq!(data["platform"]["resumeTenant"]["status"], "ACTIVE");
    let data = app.gql_ok(&host("kurow"), tenant, Value::Null, None).await;
    assert_eq!(data["tenant"]["slug"], "kurow");
    // The session from before the suspension is valid again.
    let (status, body) = app.me(&host("kurow"), &kurow_resident.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // An unknown slug is NOT_FOUND.
    let err = app
        .gql_err(
            PLATFORM,
            SUSPEND,
            json!({ "s": "nieistniejaca" }),
            Some(&operator),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
}

#[tokio::test]
async fn operator_creates_a_tenant_and_it_answers() {
    let app = TestApp::spawn().await;
    let operator = app.operator_token().await;

    // Not served before it exists.
    let (status, _) = app
        .gql(&host("testowo"), "{ tenant { slug } }", Value::Null, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An invalid file is refused naming the field.
    let err = app
        .gql_err(
            PLATFORM,
            CREATE,
            json!({ "t": TESTOWO.replace("0614992", "0614991") }),
            Some(&operator),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("VALIDATION"), "{:?}", err.body);
    assert_eq!(err.field.as_deref(), Some("toml.teryt"), "{:?}", err.body);

    let data = app
        .gql_ok(PLATFORM, CREATE, json!({ "t": TESTOWO }), Some(&operator))
        .await;
    assert_eq!(data["platform"]["createTenant"]["slug"], "testowo");

    let data = app
        .gql_ok(
            &host("testowo"),
            "{ tenant { slug name kind teryt eServices } }",
            Value::Null,
            None,
        )
        .await;
    assert_eq!(
        data["tenant"],
        json!({ "slug": "testowo", "name": "Gmina Testowo", "kind": "GMINA_WIEJSKA",
                "teryt": "0614992", "eServices": [] })
    );

    let data = app
        .gql_ok(PLATFORM, TENANTS, Value::Null, Some(&operator))
        .await;
    let created = tenant_row(&data, "testowo");
    assert_eq!(created["status"], "ACTIVE");
    assert_eq!(created["name"], "Gmina Testowo");
    let version = created["schemaVersion"].as_str().unwrap_or_default();
    assert!(!version.is_empty(), "{data}");
    assert_eq!(
        created["schemaVersion"],
        tenant_row(&data, "zamosc")["schemaVersion"],
        "a new tenant is migrated to the same version as the others"
    );
    assert_eq!(data["platform"]["tenants"].as_array().unwrap().len(), 6);

    // Its schema works: a resident registers and signs in there.
    let id = app
        .register(
            &host("testowo"),
            "pierwsza@example.test",
            "Zielona-Brama-2026",
            "Pierwsza Mieszkanka",
        )
        .await;
    app.login(
        &host("testowo"),
        "pierwsza@example.test",
        "Zielona-Brama-2026",
    )
    .await;
    let log = app.audit_log("testowo").await;
    assert!(
        log.iter()
            .any(|e| e.action == "account.registered" && e.detail.contains(&id)),
        "{log:?}"
    );

    // Creating it again conflicts, and so does a file for an existing demo tenant.
    let err = app
        .gql_err(PLATFORM, CREATE, json!({ "t": TESTOWO }), Some(&operator))
        .await;
    assert_eq!(err.code.as_deref(), Some("CONFLICT"), "{:?}", err.body);
    let err = app
        .gql_err(
            PLATFORM,
            CREATE,
            json!({ "t": TESTOWO.replace("\"testowo\"", "\"kurow\"") }),
            Some(&operator),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("CONFLICT"), "{:?}", err.body);

    // A resident cannot reach the operator's API: on a tenant host it does not exist…
    let resident_tokens = app
        .login(&host("zamosc"), &resident("zamosc"), PASSWORD)
        .await;
    let err = app
        .gql_err(
            &host("zamosc"),
            "{ platform { tenants { slug } } }",
            Value::Null,
            Some(&resident_tokens.access),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
    let err = app
        .gql_err(
            &host("zamosc"),
            CREATE,
            json!({ "t": TESTOWO.replace("testowo", "inne") }),
            Some(&resident_tokens.access),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
    // …and on the platform host the resident's token is not valid at all.
    let (status, body) = app
        .gql(
            PLATFORM,
            TENANTS,
            Value::Null,
            Some(&resident_tokens.access),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    // Anonymous on the platform host: sign in first.
    let err = app.gql_err(PLATFORM, TENANTS, Value::Null, None).await;
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    // Nothing was created by those attempts.
    let (status, _) = app
        .gql(&host("inne"), "{ tenant { slug } }", Value::Null, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
