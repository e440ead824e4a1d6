//! HS256 access tokens (short-lived JWTs).
//!
//! The expiry is checked against a caller-supplied `now` (not jsonwebtoken's own
//! clock) with zero leeway, so the caller controls the clock (tests use a fixed one).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `iss` of every access token issued by the platform.
pub const ISSUER: &str = "wspolnota";

/// Minimum length of the HMAC secret in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Subject: the account id.
    pub sub: String,
    /// Audience: the tenant the token is valid for.
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds); the token is valid while `now < exp`.
    pub exp: i64,
    /// Session id: the refresh-token family this access token belongs to.
    pub sid: String,
    /// Role names granted to the subject within the audience.
    pub roles: Vec<String>,
}

/// Errors from issuing or verifying access tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The HMAC secret is shorter than [`MIN_SECRET_LEN`] bytes.
    #[error("JWT secret too short: {len} bytes, at least {MIN_SECRET_LEN} required")]
    WeakSecret {
        /// Actual length in bytes.
        len: usize,
    },
    /// The requested lifetime is not positive or overflows.
    #[error("invalid token lifetime")]
    InvalidTtl,
    /// Signing failed.
    #[error("failed to sign token: {0}")]
    Signing(String),
    /// Not a well-formed token (bad shape, encoding, JSON, or missing claims).
    #[error("malformed token")]
    Malformed,
    /// Signed with another key or another algorithm, or tampered with.
    #[error("invalid token signature")]
    InvalidSignature,
    /// The `aud` claim is not the expected audience.
    #[error("token issued for another audience")]
    WrongAudience,
    /// The `iss` claim is not [`ISSUER`].
    #[error("token issued by an unknown issuer")]
    WrongIssuer,
    /// `exp` is not after `now`.
    #[error("token expired")]
    Expired,
}

/// Keys for signing and verifying access tokens. The secret never appears in `Debug` output.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &"HS256")
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl JwtKeys {
    /// Builds the keys from a raw HMAC secret of at least [`MIN_SECRET_LEN`] bytes.
    pub fn from_secret(secret: &[u8]) -> Result<Self, JwtError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(JwtError::WeakSecret { len: secret.len() });
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// Issues a token for `sub` valid for audience `aud` from `now` for `ttl`.
    pub fn issue(
        &self,
        sub: &str,
        aud: &str,
        sid: &str,
        roles: &[impl AsRef<str>],
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<String, JwtError> {
        if ttl <= Duration::zero() {
            return Err(JwtError::InvalidTtl);
        }
        let exp = now.checked_add_signed(ttl).ok_or(JwtError::InvalidTtl)?;
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            sub: sub.to_owned(),
            aud: aud.to_owned(),
            iat: now.timestamp(),
            exp: exp.timestamp(),
            sid: sid.to_owned(),
            roles: roles.iter().map(|r| r.as_ref().to_owned()).collect(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| JwtError::Signing(e.to_string()))
    }

    /// Verifies signature, issuer, audience (exact match with `expected_aud`) and
    /// expiry (`exp > now`, no leeway) and returns the claims.
    pub fn verify(
        &self,
        token: &str,
        expected_aud: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, JwtError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[expected_aud]);

        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|e| map_error(e.kind()))?;
        let claims = data.claims;

        // Defence in depth: jsonwebtoken already checked these.
        if claims.iss != ISSUER {
            return Err(JwtError::WrongIssuer);
        }
        if claims.aud != expected_aud {
            return Err(JwtError::WrongAudience);
        }
        if claims.exp <= now.timestamp() {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }
}

fn map_error(kind: &ErrorKind) -> JwtError {
    match kind {
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => JwtError::InvalidSignature,
        ErrorKind::InvalidAudience => JwtError::WrongAudience,
        ErrorKind::InvalidIssuer => JwtError::WrongIssuer,
        ErrorKind::ExpiredSignature => JwtError::Expired,
        _ => JwtError::Malformed,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";

    fn keys() -> JwtKeys {
        JwtKeys::from_secret(SECRET).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    fn token() -> String {
        keys()
            .issue(
                "acc-1",
                "zamosc",
                "fam-1",
                &["resident", "clerk"],
                t0(),
                Duration::minutes(15),
            )
            .unwrap()
    }

    #[test]
    fn roundtrip() {
        let claims = keys().verify(&token(), "zamosc", t0()).unwrap();
        assert_eq!(
            claims,
            AccessClaims {
                iss: "wspolnota".into(),
                sub: "acc-1".into(),
                aud: "zamosc".into(),
                iat: t0().timestamp(),
                exp: t0().timestamp() + 15 * 60,
                sid: "fam-1".into(),
                roles: vec!["resident".into(), "clerk".into()],
            }
        );
        // String slices and Vec<String> both work as roles.
        let roles: Vec<String> = vec![];
        keys()
            .issue("a", "b", "c", &roles, t0(), Duration::seconds(1))
            .unwrap();
    }

    #[test]
    fn wrong_audience_rejected() {
        assert_eq!(
            keys().verify(&token(), "lublin", t0()),
            Err(JwtError::WrongAudience)
        );
        assert_eq!(
            keys().verify(&token(), "zamos", t0()),
            Err(JwtError::WrongAudience)
        );
    }

    #[test]
    fn expiry_uses_given_clock_without_leeway() {
        let exp = t0() + Duration::minutes(15);
        keys()
            .verify(&token(), "zamosc", exp - Duration::seconds(1))
            .unwrap();
        assert_eq!(
            keys().verify(&token(), "zamosc", exp),
            Err(JwtError::Expired)
        );
        assert_eq!(
            keys().verify(&token(), "zamosc", exp + Duration::hours(1)),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn wrong_key_rejected() {
        let other = JwtKeys::from_secret(b"another-secret-another-secret-another").unwrap();
        assert_eq!(
            other.verify(&token(), "zamosc", t0()),
            Err(JwtError::InvalidSignature)
        );
    }

    #[test]
    fn tampered_token_rejected() {
        let tok = token();
        let parts: Vec<&str> = tok.split('.').collect();
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
        let mut claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        claims["roles"] = serde_json::json!(["admin"]);
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            keys().verify(&forged, "zamosc", t0()),
            Err(JwtError::InvalidSignature)
        );
    }

    #[test]
    fn alg_none_rejected() {
        let tok = token();
        let parts: Vec<&str> = tok.split('.').collect();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{header}.{}.", parts[1]);
        assert!(keys().verify(&unsigned, "zamosc", t0()).is_err());
    }

    #[test]
    fn malformed_rejected() {
        for t in ["", "abc", "a.b.c", "a.b", "....."] {
            assert_eq!(
                keys().verify(t, "zamosc", t0()),
                Err(JwtError::Malformed),
                "{t:?}"
            );
        }
    }

    #[test]
    fn wrong_issuer_rejected() {
        #[derive(Serialize)]
        struct Foreign<'a> {
            iss: &'a str,
            sub: &'a str,
            aud: &'a str,
            iat: i64,
            exp: i64,
            sid: &'a str,
            roles: Vec<String>,
        }
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Foreign {
                iss: "someone-else",
                sub: "x",
                aud: "zamosc",
                iat: t0().timestamp(),
                exp: t0().timestamp() + 60,
                sid: "s",
                roles: vec![],
            },
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(
            keys().verify(&foreign, "zamosc", t0()),
            Err(JwtError::WrongIssuer)
        );
    }

    #[test]
    fn short_secret_and_bad_ttl_rejected() {
        assert_eq!(
            JwtKeys::from_secret(b"too short").unwrap_err(),
            JwtError::WeakSecret { len: 9 }
        );
        assert_eq!(
            keys().issue("a", "b", "c", &["r"], t0(), Duration::zero()),
            Err(JwtError::InvalidTtl)
        );
    }

    #[test]
    fn debug_does_not_leak_secret() {
        let dbg = format!("{:?}", keys());
        assert!(!dbg.contains("0123456789abcdef"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }
}
