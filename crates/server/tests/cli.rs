//! The `wspolnota` command line: schema export, configuration layering and its errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wspolnota"));
    // The tests choose their own backend; the developer's environment must not leak in.
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "WSPOLNOTA_DATA_DIR",
        "WSPOLNOTA_CONFIG",
        "WSPOLNOTA_TENANTS_DIR",
        "WSPOLNOTA_BIND",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wsp-cli-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn exported_schema_matches_the_committed_one() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let committed = std::fs::read_to_string(repo_root().join("graphql/schema.graphql")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        committed,
        "graphql/schema.graphql is stale: run `cargo run -- schema > graphql/schema.graphql`"
    );
}

#[test]
fn the_flag_beats_the_environment_which_beats_the_file() {
    let root = scratch("layers");
    let (file_dir, env_dir, flag_dir) = (root.join("file"), root.join("env"), root.join("flag"));
    let config = root.join("wspolnota.toml");
    std::fs::write(&config, format!("data_dir = \"{}\"\n", file_dir.display())).unwrap();
    let tenants = repo_root().join("tenants");

    let run = |env: Option<&Path>, flag: Option<&Path>| {
        let mut cmd = bin();
        cmd.arg("--config")
            .arg(&config)
            .arg("--tenants-dir")
            .arg(&tenants);
        if let Some(d) = env {
            cmd.env("WSPOLNOTA_DATA_DIR", d);
        }
        if let Some(d) = flag {
            cmd.arg("--data-dir").arg(d);
        }
        let out = cmd.arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run(None, None);
    assert!(file_dir.join("platform.sqlite").exists());
    run(Some(&env_dir), None);
    assert!(env_dir.join("platform.sqlite").exists());
    run(Some(&env_dir), Some(&flag_dir));
    assert!(flag_dir.join("platform.sqlite").exists());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn an_unknown_key_in_the_config_file_is_an_error_naming_it() {
    let root = scratch("badconfig");
    let config = root.join("wspolnota.toml");
    std::fs::write(&config, "bind = \"127.0.0.1:1\"\nlisten_port = 80\n").unwrap();
    let out = bin()
        .arg("--config")
        .arg(&config)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("listen_port"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn tenants_sync_loads_the_five_tenants_and_list_shows_them() {
    let root = scratch("sync");
    let out = bin()
        .arg("--data-dir")
        .arg(&root)
        .arg("--tenants-dir")
        .arg(repo_root().join("tenants"))
        .args(["tenants", "sync"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = bin()
        .arg("--data-dir")
        .arg(&root)
        .args(["tenants", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    for slug in ["zamosc", "baranow", "biszcza", "kurow", "powiat-lubelski"] {
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(&format!("{slug}\tactive\tm"))),
            "{slug} in {listed}"
        );
        assert!(root.join(format!("tenants/{slug}.sqlite")).exists());
    }
    let _ = std::fs::remove_dir_all(root);
}
