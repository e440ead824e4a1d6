//! Password hashing (argon2id, PHC strings) and the password policy.
//!
//! Hashes use `Argon2::default()`: argon2id v19, m = 19456 KiB, t = 2, p = 1
//! (the OWASP recommendation), with a random 128-bit salt, encoded as a PHC
//! string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{ARGON2ID_IDENT, Argon2, Params, PasswordHash};

/// Errors from hashing or verifying a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Computing the hash failed (RNG failure, internal argon2 error).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The stored hash is not a valid argon2 PHC string.
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(String),
}

/// Hashes `plain` with argon2id (default/OWASP parameters) and returns the PHC string.
pub fn hash_password(plain: &str) -> Result<String, PasswordError> {
    let hash = Argon2::default()
        .hash_password(plain.as_bytes())
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Verifies `plain` against a stored PHC string.
///
/// Returns `Ok(false)` when the password does not match and `Err` only when the
/// stored hash cannot be parsed or uses an unsupported algorithm. The parameters
/// stored in the hash are used (so hashes made with older parameters still verify).
pub fn verify_password(plain: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|e| PasswordError::MalformedHash(e.to_string()))?;
    match Argon2::default().verify_password(plain.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(PasswordError::MalformedHash(e.to_string())),
    }
}

/// `true` when a stored hash was made with a different algorithm or weaker/other
/// parameters than the current defaults, i.e. it should be re-hashed after the next
/// successful login. Malformed hashes also report `true`.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    if parsed.algorithm != ARGON2ID_IDENT || parsed.version != Some(0x13) {
        return true;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    let default = Params::default();
    params.m_cost() != default.m_cost()
        || params.t_cost() != default.t_cost()
        || params.p_cost() != default.p_cost()
}

/// PHC string of a throw-away password, hashed with the default parameters.
/// Used by [`dummy_verify`]; a unit test checks it still matches `Params::default()`.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZqP8kIsdOZNHur8Nmvr2Dw$W7wtrn45WpbMiU0Jb8T6kUg9wx2yptphp5MYs17f5ZM";

/// Spends the same time as a real [`verify_password`] call and discards the result.
///
/// Call it when a login names an account that does not exist, so that the response
/// time does not reveal whether the account exists.
pub fn dummy_verify(plain: &str) {
    let _ = verify_password(plain, DUMMY_PHC);
}

/// Why a new password was rejected by [`PasswordPolicy::check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// Fewer characters than the minimum.
    #[error("password must be at least {min} characters long")]
    TooShort {
        /// Minimum number of characters.
        min: usize,
    },
    /// More characters than the maximum.
    #[error("password must be at most {max} characters long")]
    TooLong {
        /// Maximum number of characters.
        max: usize,
    },
    /// Contains the local part of the user's e-mail address.
    #[error("password must not contain your e-mail address")]
    ContainsEmail,
    /// Contains (a part of) the user's display name.
    #[error("password must not contain your name")]
    ContainsName,
    /// Consists of one character repeated.
    #[error("password must not consist of a single repeated character")]
    RepeatedCharacter,
    /// Appears on the list of most common passwords.
    #[error("password is too common, choose a less predictable one")]
    TooCommon,
}

impl PolicyViolation {
    /// The input field the violation refers to (always `"password"`).
    pub fn field(&self) -> &'static str {
        "password"
    }

    /// A stable machine-readable code, e.g. for translating the message in a client.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::ContainsEmail => "contains_email",
            Self::ContainsName => "contains_name",
            Self::RepeatedCharacter => "repeated_character",
            Self::TooCommon => "too_common",
        }
    }
}

/// Most common passwords (lower case), including popular Polish ones.
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "123456789012",
    "1234567890123",
    "111111111111",
    "000000000000",
    "password",
    "password1",
    "password123",
    "password1234",
    "password123456",
    "passwordpassword",
    "qwerty",
    "qwerty123",
    "qwerty123456",
    "qwertyuiop",
    "qwertyuiop123",
    "qwertyuiop1234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "zaq1@wsx",
    "iloveyou",
    "letmein",
    "welcome123456",
    "administrator",
    "admin123456",
    "haslo",
    "haslo123",
    "haslo123456",
    "haslo1234567",
    "hasło123456",
    "hasło1234567",
    "haslohaslo",
    "haslohaslo12",
    "polska",
    "polska123456",
    "polska1234567",
    "kochamcie",
    "kochamcie123",
    "kochamcie1234",
    "zaq1xsw2cde3",
    "wspolnota123",
];

/// Rules a new password must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (not bytes).
    pub min_length: usize,
    /// Maximum length in characters (not bytes).
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 12,
            max_length: 128,
        }
    }
}

/// Minimum length of an e-mail local part / name word that the password must not contain.
const MIN_PERSONAL_FRAGMENT: usize = 4;

impl PasswordPolicy {
    /// Checks a new password.
    ///
    /// Rejects passwords that are too short or too long (counted in characters), that
    /// consist of a single repeated character, that appear on the built-in list of the
    /// most common passwords (case-insensitive), that contain the local part of `email`
    /// (case-insensitive, when it has at least 4 characters) or a word of `display_name`
    /// with at least 4 characters (case-insensitive).
    pub fn check(
        &self,
        password: &str,
        email: &str,
        display_name: &str,
    ) -> Result<(), PolicyViolation> {
        let len = password.chars().count();
        if len < self.min_length {
            return Err(PolicyViolation::TooShort {
                min: self.min_length,
            });
        }
        if len > self.max_length {
            return Err(PolicyViolation::TooLong {
                max: self.max_length,
            });
        }

        let mut chars = password.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(PolicyViolation::RepeatedCharacter);
        }

        let lower = password.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) {
            return Err(PolicyViolation::TooCommon);
        }

        let local_part = email
            .rsplit_once('@')
            .map_or(email, |(local, _)| local)
            .trim()
            .to_lowercase();
        if local_part.chars().count() >= MIN_PERSONAL_FRAGMENT && lower.contains(&local_part) {
            return Err(PolicyViolation::ContainsEmail);
        }

        let name_lower = display_name.to_lowercase();
        let contains_name = name_lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| word.chars().count() >= MIN_PERSONAL_FRAGMENT)
            .any(|word| lower.contains(word));
        if contains_name {
            return Err(PolicyViolation::ContainsName);
        }

        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify_roundtrip() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery staple", &phc).unwrap());
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn wrong_password_is_false_not_error() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(!verify_password("Correct horse battery staple", &phc).unwrap());
        assert!(!verify_password("", &phc).unwrap());
    }

    #[test]
    fn same_password_gets_different_salts() {
        let a = hash_password("same password twice").unwrap();
        let b = hash_password("same password twice").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_hash_is_error() {
        assert!(matches!(
            verify_password("x", "not a phc string"),
            Err(PasswordError::MalformedHash(_))
        ));
        assert!(matches!(
            verify_password("x", "$unknownalg$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
            Err(PasswordError::MalformedHash(_))
        ));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn weaker_params_need_rehash() {
        let params = Params::new(8, 1, 1, None).unwrap();
        let weak = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"whatever password")
            .unwrap()
            .to_string();
        assert!(verify_password("whatever password", &weak).unwrap());
        assert!(needs_rehash(&weak));
    }

    #[test]
    fn dummy_hash_uses_current_default_params() {
        assert!(!needs_rehash(DUMMY_PHC));
        // It is a valid hash, so dummy_verify really runs argon2.
        assert!(!verify_password("some guess", DUMMY_PHC).unwrap());
        dummy_verify("some guess");
    }

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    #[test]
    fn policy_accepts_good_password() {
        policy()
            .check(
                "Zielony-Rower-Nad-Wisłą",
                "jan.kowalski@example.pl",
                "Jan Kowalski",
            )
            .unwrap();
    }

    #[test]
    fn policy_length_counts_chars() {
        let p = policy();
        assert_eq!(
            p.check("short", "a@b.pl", ""),
            Err(PolicyViolation::TooShort { min: 12 })
        );
        // 12 characters, but more than 12 bytes (Polish letters are 2 bytes in UTF-8).
        p.check("żółćźęąśńżó1", "a@b.pl", "").unwrap();
        // 11 characters, 21 bytes: still too short.
        assert_eq!(
            p.check("żółćźęąśńżó", "a@b.pl", ""),
            Err(PolicyViolation::TooShort { min: 12 })
        );
        let long = "ab".repeat(64) + "c";
        assert_eq!(
            p.check(&long, "a@b.pl", ""),
            Err(PolicyViolation::TooLong { max: 128 })
        );
        p.check(&"ab".repeat(64), "a@b.pl", "").unwrap();
    }

    #[test]
    fn policy_rejects_email_local_part() {
        let v = policy()
            .check("MyMarcin.Nowak2024!", "marcin.nowak@example.pl", "")
            .unwrap_err();
        assert_eq!(v, PolicyViolation::ContainsEmail);
        assert_eq!(v.field(), "password");
        // Short local parts are not checked.
        policy()
            .check("abc-quite-long-pass", "abc@example.pl", "")
            .unwrap();
    }

    #[test]
    fn policy_rejects_display_name() {
        assert_eq!(
            policy().check("kowalski-rocks-77", "jk@example.pl", "Jan Kowalski"),
            Err(PolicyViolation::ContainsName)
        );
    }

    #[test]
    fn policy_rejects_repeated_character() {
        assert_eq!(
            policy().check("aaaaaaaaaaaaaaaa", "x@y.pl", ""),
            Err(PolicyViolation::RepeatedCharacter)
        );
    }

    #[test]
    fn policy_rejects_common_passwords_case_insensitively() {
        for pw in [
            "qwerty123456",
            "Polska123456",
            "HASLO1234567",
            "Hasło1234567",
        ] {
            assert_eq!(
                policy().check(pw, "x@y.pl", ""),
                Err(PolicyViolation::TooCommon),
                "{pw}"
            );
        }
        // The list also applies when a tenant configures a shorter minimum.
        let lenient = PasswordPolicy {
            min_length: 8,
            ..PasswordPolicy::default()
        };
        for pw in ["HASLO123456", "Hasło123456", "password1"] {
            assert_eq!(
                lenient.check(pw, "x@y.pl", ""),
                Err(PolicyViolation::TooCommon),
                "{pw}"
            );
        }
    }

    #[test]
    fn violation_messages_are_clear() {
        assert_eq!(
            PolicyViolation::TooShort { min: 12 }.to_string(),
            "password must be at least 12 characters long"
        );
        assert_eq!(PolicyViolation::TooCommon.code(), "too_common");
    }
}
