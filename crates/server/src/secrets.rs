//! Platform secrets: from the environment in production (`WSPOLNOTA_JWT_SECRET`,
//! `WSPOLNOTA_PESEL_PEPPER`), generated once into the data directory otherwise, so that a
//! single-machine install keeps its sessions across restarts.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use rand::RngCore;

use crate::settings::Settings;

pub struct PlatformSecrets {
    pub jwt: Vec<u8>,
    pub pesel_pepper: Vec<u8>,
}

pub fn load(settings: &Settings) -> anyhow::Result<PlatformSecrets> {
    Ok(PlatformSecrets {
        jwt: from_setting_or_file(
            settings.jwt_secret.as_deref(),
            &settings.data_dir,
            "jwt.secret",
        )?,
        pesel_pepper: from_setting_or_file(
            settings.pesel_pepper.as_deref(),
            &settings.data_dir,
            "pesel.pepper",
        )?,
    })
}

fn from_setting_or_file(value: Option<&str>, dir: &Path, name: &str) -> anyhow::Result<Vec<u8>> {
    if let Some(value) = value {
        anyhow::ensure!(
            value.len() >= 32,
            "the {name} setting must be at least 32 bytes long"
        );
        return Ok(value.as_bytes().to_vec());
    }
    let path = dir.join("secrets").join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    std::fs::create_dir_all(dir.join("secrets"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut raw = [0u8; 48];
    rand::rng().fill_bytes(&mut raw);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(encoded.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(encoded.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}
