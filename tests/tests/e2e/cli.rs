//! The command line: `tenants sync`, `migrate`, and restarts on existing data.

use std::fs;
use std::process::Output;

use serde_json::Value;
use wspolnota_e2e::{
    OPERATOR, PASSWORD, PLATFORM, SLUGS, StatusCode, TestApp, host, repo_tenant_files, resident,
};

use crate::platform::TESTOWO;

fn run(cmd: &mut std::process::Command) -> Output {
    cmd.output().expect("running wspolnota")
}

fn describe(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn tenants_sync_rejects_a_bad_file_naming_file_and_field() {
    let app = TestApp::spawn().await;
    let dir = app.scratch_dir().join("broken-tenants");
    fs::create_dir_all(&dir).unwrap();
    let kurow = repo_tenant_files()
        .into_iter()
        .find(|(name, _)| name == "kurow.toml")
        .unwrap()
        .1;
    let write_all = |kurow_text: &str| {
        for (name, text) in repo_tenant_files() {
            let text = if name == "kurow.toml" {
                kurow_text.to_owned()
            } else {
                text
            };
            fs::write(dir.join(name), text).unwrap();
        }
    };

    let broken = [
        (
            kurow.replace("teryt = \"0614062\"", "teryt = \"0614061\""),
            "kurow.toml: teryt: ",
        ),
        (
            kurow.replace("population = 7414", "population = 7414\nmayor = \"Jan\""),
            "kurow.toml: mayor: unknown field `mayor`",
        ),
        (
            kurow.replace("postal_code = \"24-170\"", "postal_code = \"24170\""),
            "kurow.toml: address.postal_code: ",
        ),
        (
            kurow.replace("population = 7414", "population = \"dużo\""),
            "kurow.toml: population: ",
        ),
    ];
    for (text, expected) in broken {
        write_all(&text);
        let out = run(app.command_with_tenants_dir(&dir).args(["tenants", "sync"]));
        assert!(!out.status.success(), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(expected),
            "expected `{expected}`\n{}",
            describe(&out)
        );
        // The whole sync stopped: not even the valid files before kurow were applied.
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("updated"),
            "{}",
            describe(&out)
        );
    }
    // A file whose name does not match its slug.
    write_all(&kurow);
    fs::rename(dir.join("kurow.toml"), dir.join("kurow-stary.toml")).unwrap();
    let out = run(app.command_with_tenants_dir(&dir).args(["tenants", "sync"]));
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("kurow-stary.toml: slug: "),
        "{}",
        describe(&out)
    );
    fs::rename(dir.join("kurow-stary.toml"), dir.join("kurow.toml")).unwrap();

    // The server was not disturbed, and the repaired directory syncs.
    let data = app
        .gql_ok(&host("kurow"), "{ tenant { teryt } }", Value::Null, None)
        .await;
    assert_eq!(data["tenant"]["teryt"], "0614062");
    let out = run(app.command_with_tenants_dir(&dir).args(["tenants", "sync"]));
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for slug in SLUGS {
        assert!(
            stdout.contains(&format!("updated {slug}")),
            "{}",
            describe(&out)
        );
    }
}

async fn schema_versions(app: &TestApp) -> Vec<(String, String)> {
    let operator = app.operator_token().await;
    let data = app
        .gql_ok(
            PLATFORM,
            "{ platform { tenants { slug status schemaVersion } } }",
            Value::Null,
            Some(&operator),
        )
        .await;
    data["platform"]["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["status"], "ACTIVE", "{t}");
            (
                t["slug"].as_str().unwrap().to_owned(),
                t["schemaVersion"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no schemaVersion: {t}"))
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn migrations_apply_to_a_fresh_and_an_existing_tenant() {
    // From empty data: migrations create everything, the demo accounts are seeded.
    let mut app = TestApp::spawn_with(|o| {
        o.fresh();
    })
    .await;
    let fresh = schema_versions(&app).await;
    assert_eq!(
        fresh.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        SLUGS.to_vec()
    );
    let version = fresh[0].1.clone();
    assert!(fresh.iter().all(|(_, v)| *v == version), "{fresh:?}");

    let id = app
        .register(
            &host("zamosc"),
            "trwala@example.test",
            "Zielona-Brama-2026",
            "Ewa Nowak",
        )
        .await;
    let before = app
        .login(&host("zamosc"), "trwala@example.test", "Zielona-Brama-2026")
        .await;

    // Restart on the same data with a sixth tenant file: the existing tenants are migrated
    // (nothing pending), the new one is created from scratch.
    fs::write(app.tenants_dir().join("testowo.toml"), TESTOWO).unwrap();
    app.restart().await;
    let again = schema_versions(&app).await;
    let mut expected = fresh.clone();
    expected.push(("testowo".to_owned(), version.clone()));
    expected.sort();
    assert_eq!(again, expected);

    // The data survived: the account, its session (same signing key), the refresh token.
    let (status, body) = app.me(&host("zamosc"), &before.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["id"], id.as_str());
    app.try_refresh(&host("zamosc"), &before.refresh)
        .await
        .unwrap();
    let log = app.audit_log("zamosc").await;
    assert!(
        log.iter()
            .any(|e| e.action == "account.registered" && e.detail.contains(&id)),
        "{log:?}"
    );
    let data = app
        .gql_ok(&host("testowo"), "{ tenant { slug } }", Value::Null, None)
        .await;
    assert_eq!(data["tenant"]["slug"], "testowo");
    // The demo seeding did not duplicate accounts: the demo resident still signs in.
    app.login(&host("zamosc"), &resident("zamosc"), PASSWORD)
        .await;
    app.login(PLATFORM, OPERATOR, PASSWORD).await;

    // `wspolnota migrate` on the existing data, twice: nothing to do, no error.
    app.stop();
    for _ in 0..2 {
        let out = run(app.command().arg("migrate"));
        assert!(out.status.success(), "{}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("migrated the platform and 6 tenant(s)"),
            "{}",
            describe(&out)
        );
    }
    let out = run(app.command().args(["tenants", "list"]));
    assert!(out.status.success(), "{}", describe(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    for slug in SLUGS.iter().chain(&["testowo"]) {
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with(&format!("{slug}\tactive\t{version}\t"))),
            "{slug}: {listing}"
        );
    }

    app.start().await;
    assert_eq!(schema_versions(&app).await, expected);
    app.login(&host("zamosc"), "trwala@example.test", "Zielona-Brama-2026")
        .await;
}
