//! OIDC authorization-code + PKCE flow against a real local identity provider
//! (an axum server on 127.0.0.1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use wspolnota_auth::oidc::{self, OidcClient, OidcError, OidcProvider, state_matches};
use wspolnota_e2e::idp::{IdpConfig, TestIdp};

const CLIENT_ID: &str = "wspolnota-zamosc";
const CLIENT_SECRET: &str = "top secret/with:odd&chars";
const REDIRECT: &str = "https://zamosc.wspolnota.test/auth/oidc/callback";

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    oidc::http_client().unwrap()
}

fn provider(idp: &TestIdp, secret: Option<&str>) -> OidcProvider {
    OidcProvider {
        authorization_url: format!("{}/authorize", idp.base_url),
        token_url: format!("{}/token", idp.base_url),
        userinfo_url: format!("{}/userinfo", idp.base_url),
        client_id: CLIENT_ID.to_owned(),
        client_secret: secret.map(str::to_owned),
        redirect_url: REDIRECT.to_owned(),
        scopes: vec!["profile".to_owned(), "email".to_owned()],
        pesel_claim: "pesel".to_owned(),
    }
}

fn confidential_config() -> IdpConfig {
    IdpConfig {
        client_id: CLIENT_ID.to_owned(),
        client_secret: Some(CLIENT_SECRET.to_owned()),
        redirect_uri: REDIRECT.to_owned(),
        ..IdpConfig::default()
    }
}

/// Plays the browser: follows the authorization URL (without following the redirect
/// back to us) and returns `(code, state)` from the `Location` header.
async fn authorize(http: &reqwest::Client, url: &str) -> (String, String) {
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        reqwest::StatusCode::FOUND,
        "authorize refused"
    );
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let location = url::Url::parse(location).unwrap();
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    (param("code"), param("state"))
}

#[tokio::test]
async fn happy_path_with_confidential_client() {
    let idp = TestIdp::start(confidential_config()).await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some(CLIENT_SECRET)), http.clone()).unwrap();

    let start = client.start();
    let (code, state) = authorize(&http, &start.url).await;
    assert!(state_matches(&state, &start.state));
    assert!(!state_matches(&state, &client.start().state));

    let identity = client.finish(&code, &start.pkce_verifier).await.unwrap();
    assert_eq!(identity.subject, "user-123");
    assert_eq!(identity.email.as_deref(), Some("jan.kowalski@example.pl"));
    assert_eq!(identity.name.as_deref(), Some("Jan Kowalski"));
    assert_eq!(identity.pesel.as_deref(), Some("02070803628"));

    let log = idp.log();
    assert_eq!(log.token_client_auth, vec!["basic"]);
    assert_eq!(log.authorize_scopes, vec!["openid profile email"]);
}

#[tokio::test]
async fn wrong_verifier_is_invalid_grant() {
    let idp = TestIdp::start(confidential_config()).await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some(CLIENT_SECRET)), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let other_verifier = client.start().pkce_verifier;

    let err = client.finish(&code, &other_verifier).await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_grant"), "{err:?}");
}

#[tokio::test]
async fn code_cannot_be_reused() {
    let idp = TestIdp::start(confidential_config()).await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some(CLIENT_SECRET)), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    client.finish(&code, &start.pkce_verifier).await.unwrap();

    let err = client
        .finish(&code, &start.pkce_verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OidcError::TokenEndpoint { error, .. } if error == "invalid_grant"),
        "{err:?}"
    );
}

#[tokio::test]
async fn public_client_without_pesel_claim() {
    let idp = TestIdp::start(IdpConfig {
        client_secret: None,
        pesel_claim: None,
        ..confidential_config()
    })
    .await;
    let http = http();
    let client = OidcClient::new(provider(&idp, None), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let identity = client.finish(&code, &start.pkce_verifier).await.unwrap();
    assert_eq!(identity.subject, "user-123");
    assert_eq!(identity.pesel, None);
    assert_eq!(idp.log().token_client_auth, vec!["body"]);
}

#[tokio::test]
async fn custom_pesel_claim_name() {
    let claim = "https://wezel.example.gov.pl/claims/pesel";
    let idp = TestIdp::start(IdpConfig {
        pesel_claim: Some(claim.to_owned()),
        ..confidential_config()
    })
    .await;
    let http = http();
    let mut p = provider(&idp, Some(CLIENT_SECRET));
    p.pesel_claim = claim.to_owned();
    let client = OidcClient::new(p, http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let identity = client.finish(&code, &start.pkce_verifier).await.unwrap();
    assert_eq!(identity.pesel.as_deref(), Some("02070803628"));
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client() {
    let idp = TestIdp::start(confidential_config()).await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some("wrong secret")), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let err = client
        .finish(&code, &start.pkce_verifier)
        .await
        .unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_client"), "{err:?}");
}

#[tokio::test]
async fn userinfo_without_sub_is_rejected() {
    let idp = TestIdp::start(IdpConfig {
        omit_sub: true,
        ..confidential_config()
    })
    .await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some(CLIENT_SECRET)), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let err = client
        .finish(&code, &start.pkce_verifier)
        .await
        .unwrap_err();
    assert_eq!(err, OidcError::MissingSubject);
}

#[tokio::test]
async fn userinfo_http_error_is_reported() {
    let idp = TestIdp::start(IdpConfig {
        reject_userinfo: true,
        ..confidential_config()
    })
    .await;
    let http = http();
    let client = OidcClient::new(provider(&idp, Some(CLIENT_SECRET)), http.clone()).unwrap();

    let start = client.start();
    let (code, _) = authorize(&http, &start.url).await;
    let err = client
        .finish(&code, &start.pkce_verifier)
        .await
        .unwrap_err();
    assert_eq!(err, OidcError::Userinfo { status: 401 });
}

#[tokio::test]
async fn idp_rejects_unregistered_redirect_uri() {
    let idp = TestIdp::start(confidential_config()).await;
    let http = http();
    let mut p = provider(&idp, Some(CLIENT_SECRET));
    p.redirect_url = "https://evil.example/callback".to_owned();
    let client = OidcClient::new(p, http.clone()).unwrap();

    let resp = http.get(client.start().url).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_REQUEST);
}
