//! Sign-in through the tenant's identity provider (authorization code + PKCE): the verified
//! PESEL makes the account a verified resident and links it to the parties with that PESEL,
//! and the PESEL never reaches the logs.

use reqwest::header::{HOST, LOCATION};
use serde_json::{Value, json};
use wspolnota_e2e::idp::{IdpConfig, TestIdp};
use wspolnota_e2e::{PASSWORD, TestApp, admin, host, repo_root};

const PESEL: &str = "02070803628";

fn no_redirects() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn identity_provider_sign_in_verifies_and_links_the_party() {
    let idp = TestIdp::start(IdpConfig {
        client_id: "wspolnota-zamosc".into(),
        client_secret: None,
        redirect_uri: "http://unset.invalid/".into(),
        pesel_claim: Some("pesel".into()),
        ..IdpConfig::default()
    })
    .await;
    let zamosc_toml = std::fs::read_to_string(repo_root().join("tenants/zamosc.toml")).unwrap();
    let with_idp = format!(
        "{zamosc_toml}\n[identity_provider]\nauthorization_url = \"{0}/authorize\"\ntoken_url = \"{0}/token\"\nuserinfo_url = \"{0}/userinfo\"\nclient_id = \"wspolnota-zamosc\"\n",
        idp.base_url
    );
    let app = TestApp::spawn_with(|o| {
        o.fresh().tenant_file("zamosc.toml", with_idp.clone());
    })
    .await;
    let zamosc = host("zamosc");
    let app_host = format!("{zamosc}:{}", app.port());
    idp.set_redirect_uri(&format!("http://{app_host}/auth/oidc/callback"));

    // The clerk knows the taxpayer by PESEL before the resident ever signs in.
    let clerk = app.login(&zamosc, &admin("zamosc"), PASSWORD).await.access;
    let created = app
        .gql_ok(
            &zamosc,
            "mutation($p: String!) { finance { createParty(input: {kind: PERSON, name: \"Jan Kowalski\", pesel: $p}) { id } } }",
            json!({ "p": PESEL }),
            Some(&clerk),
        )
        .await;
    let party_id = created["finance"]["createParty"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Browser: platform → identity provider → platform callback.
    let http = no_redirects();
    let start = http
        .get(app.url("/auth/oidc/login"))
        .header(HOST, &app_host)
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303, "{:?}", start.text().await);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&idp.base_url) && authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let back = http.get(&authorize).send().await.unwrap();
    let callback = url::Url::parse(&location(&back)).unwrap();
    assert_eq!(callback.path(), "/auth/oidc/callback");
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    let done = http
        .get(app.url(&path))
        .header(HOST, &app_host)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let tokens: Value = done.json().await.unwrap();
    let access = tokens["accessToken"].as_str().unwrap();

    let me = app
        .gql_ok(
            &zamosc,
            "{ me { email verified } }",
            Value::Null,
            Some(access),
        )
        .await;
    assert_eq!(me["me"]["verified"], true, "{me}");
    let mine = app
        .gql_ok(
            &zamosc,
            "{ finance { myParties { id name peselMasked } } }",
            Value::Null,
            Some(access),
        )
        .await;
    let parties = mine["finance"]["myParties"].as_array().unwrap();
    assert!(
        parties.iter().any(|p| p["id"] == party_id.as_str()),
        "{mine}"
    );
    assert!(
        parties.iter().all(|p| p["peselMasked"] == "*******3628"),
        "{mine}"
    );

    // A replayed callback (same code and state) is refused.
    let replay = http
        .get(app.url(&path))
        .header(HOST, &app_host)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);

    assert!(
        !app.logs().contains(PESEL),
        "the PESEL reached the server log"
    );
}
