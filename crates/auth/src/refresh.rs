//! Opaque refresh tokens.
//!
//! A token is 32 bytes from the OS-seeded CSPRNG, encoded as unpadded base64url
//! (43 characters). Only its SHA-256 (lower-case hex, 64 characters) is stored, so a
//! database leak does not reveal usable tokens. Since the token carries 256 bits of
//! entropy, a plain (unsalted) hash is sufficient and allows lookup by hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Number of random bytes in a refresh token.
pub const TOKEN_BYTES: usize = 32;

/// Generates a new refresh token.
///
/// Returns `(token, hash)`: the token to hand to the client (43 characters of
/// base64url) and its [`hash`] to store.
pub fn generate() -> (String, String) {
    let bytes: [u8; TOKEN_BYTES] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hashed = hash(&token);
    (token, hashed)
}

/// Lower-case hex SHA-256 of a token as presented by the client (64 characters).
pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(match nibble {
        0..=9 => b'0' + nibble,
        _ => b'a' + (nibble - 10),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn token_has_length_and_alphabet() {
        let (token, hashed) = generate();
        assert!(token.len() >= 43, "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), TOKEN_BYTES);
        assert_eq!(hashed.len(), 64);
        assert!(
            hashed
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(hashed, hash(&token));
    }

    #[test]
    fn hash_is_deterministic_and_distinguishes_tokens() {
        assert_eq!(hash("abc"), hash("abc"));
        assert_ne!(hash("abc"), hash("abd"));
        // Known vector: SHA-256("abc").
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_are_unique() {
        let mut tokens = HashSet::new();
        let mut hashes = HashSet::new();
        for _ in 0..1000 {
            let (t, h) = generate();
            assert!(tokens.insert(t));
            assert!(hashes.insert(h));
        }
    }

    #[test]
    fn tokens_look_random() {
        // Rough entropy check: over many tokens every base64url symbol shows up and
        // no single symbol dominates.
        let mut counts = [0usize; 256];
        let mut total = 0usize;
        for _ in 0..200 {
            let (t, _) = generate();
            for b in t.bytes() {
                counts[usize::from(b)] += 1;
                total += 1;
            }
        }
        let distinct = counts.iter().filter(|&&c| c > 0).count();
        assert_eq!(distinct, 64);
        let max = counts.iter().copied().max().unwrap();
        assert!(max < total / 20, "max {max} of {total}");
    }
}
