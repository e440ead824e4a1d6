//! Host → tenant resolution.

use serde_json::Value;
use wspolnota_e2e::{SLUGS, StatusCode, TestApp, error_code, host, repo_tenant_files};

const TENANT: &str = "{ tenant { slug name kind teryt eServices } }";

#[tokio::test]
async fn five_tenants_answer_on_their_hosts() {
    let app = TestApp::spawn().await;

    let files = repo_tenant_files();
    assert_eq!(files.len(), 5, "the repository has five tenant files");
    let mut terc = Vec::new();
    for (name, text) in &files {
        let toml: toml::Table = text.parse().unwrap();
        let slug = toml["slug"].as_str().unwrap();
        assert_eq!(*name, format!("{slug}.toml"));

        let data = app.gql_ok(&host(slug), TENANT, Value::Null, None).await;
        let tenant = &data["tenant"];
        assert_eq!(tenant["slug"], slug, "{name}");
        assert_eq!(tenant["name"], toml["name"].as_str().unwrap(), "{name}");
        assert_eq!(tenant["teryt"], toml["teryt"].as_str().unwrap(), "{name}");
        assert_eq!(
            tenant["kind"],
            toml["kind"].as_str().unwrap().to_ascii_uppercase(),
            "{name}"
        );
        let e_services: Vec<&str> = toml
            .get("e_services")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(tenant["eServices"], serde_json::json!(e_services), "{name}");
        terc.push((
            slug.to_owned(),
            tenant["teryt"].as_str().unwrap().to_owned(),
        ));
    }
    terc.sort();
    let expected: Vec<(String, String)> = [
        ("baranow", "0614022"),
        ("biszcza", "0602042"),
        ("kurow", "0614062"),
        ("powiat-lubelski", "0609"),
        ("zamosc", "0664011"),
    ]
    .iter()
    .map(|(s, t)| ((*s).to_owned(), (*t).to_owned()))
    .collect();
    assert_eq!(terc, expected);
    assert_eq!(
        SLUGS.to_vec(),
        expected.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>()
    );

    // A browser sends the port and may capitalise: still the same tenant.
    let port_host = format!("Zamosc.localhost:{}", app.port());
    let data = app.gql_ok(&port_host, TENANT, Value::Null, None).await;
    assert_eq!(data["tenant"]["slug"], "zamosc");
}

#[tokio::test]
async fn unknown_host_is_404_never_a_default_tenant() {
    let app = TestApp::spawn().await;
    let port = app.port();
    let unknown = [
        "nieznana.localhost".to_owned(),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{port}"),
        "localhost".to_owned(),
        "zamosc.localhost.evil.test".to_owned(),
        "x.zamosc.localhost".to_owned(),
        "zamosc".to_owned(),
        "zamosc.example.test".to_owned(),
    ];
    for h in &unknown {
        let (status, body) = app.gql(h, TENANT, Value::Null, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{h}: {body}");
        assert_eq!(error_code(&body), "NOT_FOUND", "{h}: {body}");
        assert!(body.get("data").is_none(), "{h}: {body}");
        let text = body.to_string();
        for slug in SLUGS {
            assert!(
                !text.contains(&format!("\"{slug}\"")),
                "{h} leaked a tenant: {body}"
            );
        }
        // Any path on an unknown host, not only /graphql.
        let (status, text) = app.get(h, "/graphql").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {h}/graphql: {text}");
        let (status, text) = app.get(h, "/nothing-here").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "GET {h}/nothing-here: {text}"
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error_code(&body), "NOT_FOUND", "{text}");
    }

    // The control: the same request on a real tenant host is answered.
    let data = app.gql_ok(&host("zamosc"), TENANT, Value::Null, None).await;
    assert_eq!(data["tenant"]["slug"], "zamosc");
}
