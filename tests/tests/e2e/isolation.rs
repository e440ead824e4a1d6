//! One tenant's tokens and data never reach another tenant (nor the operator's host).

use serde_json::Value;
use wspolnota_e2e::{
    OPERATOR, PASSWORD, PLATFORM, SLUGS, StatusCode, TestApp, admin, error_code, host, resident,
};

const RESIDENT_PASSWORD: &str = "Zielona-Brama-2026";

#[tokio::test]
async fn token_of_one_tenant_is_rejected_by_every_other() {
    let app = TestApp::spawn().await;
    let zamosc = app
        .login(&host("zamosc"), &resident("zamosc"), PASSWORD)
        .await;

    // At home the token works.
    let (status, body) = app.me(&host("zamosc"), &zamosc.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["email"], resident("zamosc"));

    let elsewhere = SLUGS
        .iter()
        .filter(|s| **s != "zamosc")
        .map(|s| host(s))
        .chain([PLATFORM.to_owned()]);
    for h in elsewhere {
        let (status, body) = app.me(&h, &zamosc.access).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{h}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{h}: {body}");
        assert!(body.get("data").is_none(), "{h}: {body}");
        // Even a public query is refused with a foreign token: no silent downgrade to
        // anonymous.
        let (status, body) = app
            .gql(&h, "{ __typename }", Value::Null, Some(&zamosc.access))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{h}: {body}");
    }

    // The operator's token is for the platform host only.
    let operator = app.operator_token().await;
    for slug in SLUGS {
        let (status, body) = app.me(&host(slug), &operator).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{slug}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{slug}: {body}");
    }
    let (status, body) = app.me(PLATFORM, &operator).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A token with a valid shape but a wrong signature, and garbage.
    let mut forged = zamosc.access.clone();
    forged.pop();
    forged.push(if zamosc.access.ends_with('A') {
        'B'
    } else {
        'A'
    });
    for bad in [forged.as_str(), "not-a-token"] {
        let (status, body) = app.me(&host("zamosc"), bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }

    // The refresh token is bound to its tenant as well.
    let err = app
        .try_refresh(&host("baranow"), &zamosc.refresh)
        .await
        .unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    // …and stays usable at home (the foreign attempt did not consume it).
    app.try_refresh(&host("zamosc"), &zamosc.refresh)
        .await
        .unwrap();
}

#[tokio::test]
async fn tenant_isolation_same_query_other_tenant_gets_nothing() {
    let app = TestApp::spawn().await;

    // Data level first: a registration on zamosc is recorded in zamosc's audit log only.
    let before: Vec<usize> = {
        let mut counts = Vec::new();
        for slug in SLUGS {
            counts.push(app.audit_log(slug).await.len());
        }
        counts
    };
    let only_here = "tylko.zamosc@example.test";
    let id = app
        .register(&host("zamosc"), only_here, RESIDENT_PASSWORD, "Ewa Nowak")
        .await;
    let tokens = app
        .login(&host("zamosc"), only_here, RESIDENT_PASSWORD)
        .await;
    for (i, slug) in SLUGS.iter().enumerate() {
        let log = app.audit_log(slug).await;
        let mentioning: Vec<_> = log.iter().filter(|e| e.detail.contains(&id)).collect();
        if *slug == "zamosc" {
            let actions: Vec<_> = mentioning.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                ["account.registered", "account.signed_in"],
                "zamosc's audit log: {log:?}"
            );
        } else {
            assert!(mentioning.is_empty(), "{slug}'s audit log: {log:?}");
            assert_eq!(log.len(), before[i], "{slug}'s audit log grew: {log:?}");
        }
    }

    // The same e-mail on two tenants: two accounts, each seeing only itself.
    let email = "ta.sama@example.test";
    let on_zamosc = app
        .register(&host("zamosc"), email, RESIDENT_PASSWORD, "Ewa Nowak")
        .await;
    let on_baranow = app
        .register(&host("baranow"), email, "Inne-Haslo-Baranow-7", "Ewa Nowak")
        .await;
    assert_ne!(on_zamosc, on_baranow);
    // Each password belongs to its own tenant's account.
    let err = app
        .try_login(&host("baranow"), email, RESIDENT_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
    for (slug, password, id) in [
        ("zamosc", RESIDENT_PASSWORD, &on_zamosc),
        ("baranow", "Inne-Haslo-Baranow-7", &on_baranow),
    ] {
        let t = app.login(&host(slug), email, password).await;
        let (status, body) = app.me(&host(slug), &t.access).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["me"]["id"], id.as_str(), "{slug}: {body}");
        assert_eq!(body["data"]["me"]["roles"], serde_json::json!(["RESIDENT"]));
    }

    // The administrator of baranow is nobody on zamosc.
    let baranow_admin = app
        .login(&host("baranow"), &admin("baranow"), PASSWORD)
        .await;
    let (status, body) = app.me(&host("baranow"), &baranow_admin.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["email"], admin("baranow"));
    let roles = body["data"]["me"]["roles"].as_array().unwrap();
    assert!(roles.contains(&"TENANT_ADMIN".into()), "{body}");
    let (status, body) = app.me(&host("zamosc"), &baranow_admin.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    // Nor can a zamosc resident's credentials be used to sign in on baranow.
    let err = app
        .try_login(&host("baranow"), only_here, RESIDENT_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));

    // The operator sees no tenant or resident data on the platform host.
    let operator = app.operator_token().await;
    let err = app
        .gql_err(
            PLATFORM,
            "{ tenant { slug name } }",
            Value::Null,
            Some(&operator),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
    let (status, body) = app.me(PLATFORM, &operator).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["email"], OPERATOR, "{body}");
    assert_eq!(
        body["data"]["me"]["roles"],
        serde_json::json!(["PLATFORM_OPERATOR"])
    );
    // Residents do not exist on the platform host: no sign-in, no registration there.
    let err = app
        .try_login(PLATFORM, only_here, RESIDENT_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
    let err = app
        .try_register(
            PLATFORM,
            "ktos@example.test",
            RESIDENT_PASSWORD,
            "Ktoś Inny",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("NOT_FOUND"), "{:?}", err.body);
    // The resident's zamosc token still works at home after all this.
    let (status, body) = app.me(&host("zamosc"), &tokens.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["id"], id.as_str());
}
