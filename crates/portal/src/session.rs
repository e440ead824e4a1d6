//! The portal's session: the access and refresh tokens of a sign-in, kept in HttpOnly,
//! SameSite=Lax cookies (Secure over https) that live until the browser closes. The server's
//! tenant middleware calls [`cookie_actor`] for requests without an `Authorization` header
//! outside `/graphql`, so GraphQL stays bearer-only and a forged cross-site form cannot reach it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use wspolnota_auth::{AuthService, TokenPair};
use wspolnota_core::{Actor, Ctx};

pub const ACCESS_COOKIE: &str = "wsp_at";
pub const REFRESH_COOKIE: &str = "wsp_rt";
/// The party the resident acts for now (one of their linked parties; checked on every use).
pub const PARTY_COOKIE: &str = "wsp_party";
pub const CSRF_COOKIE: &str = "wsp_csrf";

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a browser-session cookie only this host's pages send back.
pub fn set_cookie(name: &str, value: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// `Set-Cookie` that removes a cookie.
pub fn clear_cookie(name: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The cookies of a signed-in session.
pub fn session_cookies(pair: &TokenPair, secure: bool) -> Vec<HeaderValue> {
    [
        set_cookie(ACCESS_COOKIE, &pair.access_token, secure),
        set_cookie(REFRESH_COOKIE, &pair.refresh_token, secure),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The cookies that end a session (and forget the chosen party).
pub fn cleared_session(secure: bool) -> Vec<HeaderValue> {
    [ACCESS_COOKIE, REFRESH_COOKIE, PARTY_COOKIE]
        .iter()
        .filter_map(|name| clear_cookie(name, secure))
        .collect()
}

pub fn append_cookies(response: &mut Response, cookies: Vec<HeaderValue>) {
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
}

/// Who the session cookies say acts, and the cookies to set on the response: renewed tokens
/// when the access token had expired, removals when the session is no longer valid (expired,
/// revoked, or issued for another tenant).
pub async fn cookie_actor(
    auth: &AuthService,
    ctx: &Ctx,
    headers: &HeaderMap,
    secure: bool,
) -> (Actor, Vec<HeaderValue>) {
    let access = cookie(headers, ACCESS_COOKIE);
    let refresh = cookie(headers, REFRESH_COOKIE);
    if access.is_none() && refresh.is_none() {
        return (Actor::Anonymous, Vec::new());
    }
    let now = ctx.clock().now();
    if let Some(token) = access
        && let Ok(actor) = auth
            .authenticate_live(&ctx.kv(), ctx.audience(), token, now)
            .await
    {
        return (actor, Vec::new());
    }
    let Some(refresh) = refresh else {
        return (Actor::Anonymous, cleared_session(secure));
    };
    match refresh_once(auth, ctx, refresh).await {
        Some(pair) => match auth.authenticate(ctx.audience(), &pair.access_token, now) {
            Ok(actor) => (actor, session_cookies(&pair, secure)),
            Err(_) => (Actor::Anonymous, cleared_session(secure)),
        },
        None => (Actor::Anonymous, cleared_session(secure)),
    }
}

/// How long a renewed pair answers for the refresh token it replaced.
const RENEWED_FOR: Duration = Duration::from_secs(30);

type Renewed = HashMap<[u8; 32], (Instant, TokenPair)>;

/// Renews the session once even when a page and its status poll arrive together with the
/// same expired token: refresh tokens are single-use, and a second use would end the whole
/// session as a suspected replay. Within this process the renewals queue on one lock, and the
/// pair a token was exchanged for is handed to its other requests for a short while.
async fn refresh_once(auth: &AuthService, ctx: &Ctx, refresh: &str) -> Option<TokenPair> {
    static QUEUE: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    static RENEWED: OnceLock<Mutex<Renewed>> = OnceLock::new();
    let key: [u8; 32] = Sha256::new()
        .chain_update(ctx.audience().as_bytes())
        .chain_update(b":")
        .chain_update(refresh.as_bytes())
        .finalize()
        .into();
    let renewed = RENEWED.get_or_init(|| Mutex::new(HashMap::new()));
    let _turn = QUEUE
        .get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await;
    {
        let mut map = renewed.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (at, _)| at.elapsed() < RENEWED_FOR);
        if let Some((_, pair)) = map.get(&key) {
            return Some(pair.clone());
        }
    }
    match auth.refresh(ctx, refresh).await {
        Ok(pair) => {
            renewed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, (Instant::now(), pair.clone()));
            Some(pair)
        }
        Err(e) => {
            tracing::debug!(error = %e, "portal session not renewed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{clear_cookie, cookie, set_cookie};

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; wsp_at=xyz"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("wsp_rt=r2;wsp_party="),
        );
        assert_eq!(cookie(&h, "wsp_at"), Some("xyz"));
        assert_eq!(cookie(&h, "wsp_rt"), Some("r2"));
        assert_eq!(cookie(&h, "wsp_party"), None);
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn session_cookies_are_http_only_lax_and_secure_over_https() {
        let plain =
            set_cookie("wsp_at", "t", false).and_then(|v| v.to_str().ok().map(str::to_owned));
        assert_eq!(
            plain,
            Some("wsp_at=t; Path=/; HttpOnly; SameSite=Lax".to_owned())
        );
        let secure =
            set_cookie("wsp_at", "t", true).and_then(|v| v.to_str().ok().map(str::to_owned));
        assert_eq!(
            secure,
            Some("wsp_at=t; Path=/; HttpOnly; SameSite=Lax; Secure".to_owned())
        );
        let cleared =
            clear_cookie("wsp_rt", false).and_then(|v| v.to_str().ok().map(str::to_owned));
        assert_eq!(
            cleared,
            Some("wsp_rt=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax".to_owned())
        );
    }
}
