//! OpenID Connect login: authorization-code flow with PKCE (S256).
//!
//! Flow:
//! 1. [`OidcClient::start`] returns the URL to redirect the browser to, plus a random
//!    `state` and the PKCE verifier; the caller keeps both server-side (e.g. in a
//!    short-lived, signed cookie or in Redis keyed by `state`).
//! 2. The provider redirects back with `code` and `state`; the caller checks the state
//!    with [`state_matches`] and calls [`OidcClient::finish`], which exchanges the code
//!    at the token endpoint (sending the PKCE verifier) and reads the userinfo endpoint.
//!
//! The identity is taken from the userinfo endpoint (back channel, TLS, authenticated
//! with the fresh access token); the ID token is not used. Userinfo responses must be
//! plain JSON (signed `application/jwt` userinfo is not supported).

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Maximum size of a response body accepted from the provider.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Configuration of an external OpenID Connect identity provider (e.g. a login.gov.pl
/// style national node or a municipality's own IdP).
#[derive(Clone, Deserialize)]
pub struct OidcProvider {
    /// Authorization endpoint (where the browser is sent).
    pub authorization_url: String,
    /// Token endpoint (code exchange, back channel).
    pub token_url: String,
    /// Userinfo endpoint (back channel).
    pub userinfo_url: String,
    /// Client id registered at the provider.
    pub client_id: String,
    /// Client secret; `None` for a public client (the client id is then sent in the body).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Our callback URL registered at the provider.
    pub redirect_url: String,
    /// Requested scopes; `openid` is always added.
    #[serde(default = "OidcProvider::default_scopes")]
    pub scopes: Vec<String>,
    /// Name of the userinfo claim that carries the PESEL number.
    #[serde(default = "OidcProvider::default_pesel_claim")]
    pub pesel_claim: String,
}

impl OidcProvider {
    /// Default for [`OidcProvider::pesel_claim`]: `"pesel"`.
    pub fn default_pesel_claim() -> String {
        "pesel".to_owned()
    }

    /// Default for [`OidcProvider::scopes`]: `openid`, `profile`, `email`.
    pub fn default_scopes() -> Vec<String> {
        vec![
            "openid".to_owned(),
            "profile".to_owned(),
            "email".to_owned(),
        ]
    }
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("authorization_url", &self.authorization_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("pesel_claim", &self.pesel_claim)
            .finish()
    }
}

/// Errors of the OIDC flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The provider configuration is invalid (e.g. an unparsable URL).
    #[error("invalid OIDC provider configuration: {0}")]
    InvalidConfig(String),
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {0}")]
    HttpClient(String),
    /// The token endpoint answered with an OAuth error (e.g. `invalid_grant`).
    #[error("token endpoint returned error {error}")]
    TokenEndpoint {
        /// The OAuth `error` code.
        error: String,
        /// The optional `error_description`.
        description: Option<String>,
    },
    /// The token request failed (network, timeout, unparsable response).
    #[error("token request failed: {0}")]
    TokenRequest(String),
    /// The userinfo endpoint answered with a non-success HTTP status.
    #[error("userinfo endpoint returned HTTP {status}")]
    Userinfo {
        /// HTTP status code.
        status: u16,
    },
    /// The userinfo request failed (network, timeout) or the body is not a JSON object.
    #[error("userinfo request failed: {0}")]
    UserinfoRequest(String),
    /// The userinfo response has no (non-empty string) `sub` claim.
    #[error("userinfo response lacks the sub claim")]
    MissingSubject,
}

impl OidcError {
    /// The OAuth error code when the token endpoint rejected the request.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::TokenEndpoint { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// What [`OidcClient::start`] returns.
#[derive(Clone)]
pub struct AuthStart {
    /// URL to redirect the user's browser to.
    pub url: String,
    /// Random CSRF `state`; compare with the callback's `state` using [`state_matches`].
    pub state: String,
    /// PKCE verifier; keep it server-side and pass it to [`OidcClient::finish`].
    pub pkce_verifier: String,
}

impl std::fmt::Debug for AuthStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthStart")
            .field("url", &self.url)
            .field("state", &self.state)
            .field("pkce_verifier", &"<redacted>")
            .finish()
    }
}

/// The user's identity as reported by the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// The provider's stable subject identifier (`sub`).
    pub subject: String,
    /// `email` claim, if present.
    pub email: Option<String>,
    /// `name` claim, if present.
    pub name: Option<String>,
    /// The raw claim named by [`OidcProvider::pesel_claim`] if it is a string;
    /// NOT validated — the caller must validate it.
    pub pesel: Option<String>,
}

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// OIDC client for one provider.
pub struct OidcClient {
    client: ConfiguredClient,
    http: reqwest::Client,
    userinfo_url: url::Url,
    scopes: Vec<String>,
    pesel_claim: String,
    provider: OidcProvider,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Builds a `reqwest::Client` suitable for [`OidcClient::new`]: no redirects followed,
/// connect timeout 5 s, total timeout 15 s.
///
/// Requires a process-wide rustls `CryptoProvider` (call
/// `rustls::crypto::ring::default_provider().install_default()` at startup); without
/// one this returns [`OidcError::HttpClient`] instead of panicking inside reqwest.
pub fn http_client() -> Result<reqwest::Client, OidcError> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        return Err(OidcError::HttpClient(
            "no process-wide rustls CryptoProvider installed".to_owned(),
        ));
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("wspolnota-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OidcError::HttpClient(e.to_string()))
}

/// Constant-time comparison of the `state` stored at [`OidcClient::start`] with the
/// one received on the callback. (Only the length may leak.)
pub fn state_matches(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl OidcClient {
    /// Creates a client. `http` MUST NOT follow redirects (use [`http_client`]),
    /// otherwise a malicious token endpoint could bounce requests elsewhere.
    pub fn new(provider: OidcProvider, http: reqwest::Client) -> Result<Self, OidcError> {
        let auth_url = AuthUrl::new(provider.authorization_url.clone())
            .map_err(|e| OidcError::InvalidConfig(format!("authorization_url: {e}")))?;
        let token_url = TokenUrl::new(provider.token_url.clone())
            .map_err(|e| OidcError::InvalidConfig(format!("token_url: {e}")))?;
        let redirect_url = RedirectUrl::new(provider.redirect_url.clone())
            .map_err(|e| OidcError::InvalidConfig(format!("redirect_url: {e}")))?;
        let userinfo_url = url::Url::parse(&provider.userinfo_url)
            .map_err(|e| OidcError::InvalidConfig(format!("userinfo_url: {e}")))?;
        if provider.client_id.is_empty() {
            return Err(OidcError::InvalidConfig("client_id is empty".to_owned()));
        }
        if provider.pesel_claim.is_empty() {
            return Err(OidcError::InvalidConfig("pesel_claim is empty".to_owned()));
        }

        let mut client = BasicClient::new(ClientId::new(provider.client_id.clone()))
            .set_auth_uri(auth_url)
            .set_token_uri(token_url)
            .set_redirect_uri(redirect_url);
        if let Some(secret) = &provider.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }

        let mut scopes = vec!["openid".to_owned()];
        for scope in &provider.scopes {
            if !scope.is_empty() && !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }

        Ok(Self {
            client,
            http,
            userinfo_url,
            scopes,
            pesel_claim: provider.pesel_claim.clone(),
            provider,
        })
    }

    /// The provider configuration this client was built from.
    pub fn provider(&self) -> &OidcProvider {
        &self.provider
    }

    /// Starts a login: random state, S256 PKCE challenge, scopes including `openid`.
    pub fn start(&self) -> AuthStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        AuthStart {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Finishes a login: exchanges `code` (with the PKCE verifier) for an access token
    /// and reads the userinfo endpoint. The caller must have checked `state` already.
    pub async fn finish(&self, code: &str, pkce_verifier: &str) -> Result<OidcIdentity, OidcError> {
        // The future must own its client: a borrowed one makes the whole sign-in future
        // non-`Send` for the compiler (higher-ranked lifetimes through oauth2's trait).
        let http = self.http.clone();
        let send = move |request: HttpRequest| {
            let http = http.clone();
            async move { send_request(&http, request).await }
        };

        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&send)
            .await
            .map_err(map_token_error)?;

        self.userinfo(token.access_token().secret()).await
    }

    async fn userinfo(&self, access_token: &str) -> Result<OidcIdentity, OidcError> {
        let mut response = self
            .http
            .get(self.userinfo_url.clone())
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| OidcError::UserinfoRequest(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(status = status.as_u16(), "OIDC userinfo endpoint refused");
            return Err(OidcError::Userinfo {
                status: status.as_u16(),
            });
        }
        let body = read_limited(&mut response)
            .await
            .map_err(|e| OidcError::UserinfoRequest(e.to_string()))?;
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&body)
            .map_err(|e| OidcError::UserinfoRequest(format!("invalid JSON: {e}")))?;

        let string_claim = |name: &str| {
            claims
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let subject = string_claim("sub")
            .filter(|s| !s.is_empty())
            .ok_or(OidcError::MissingSubject)?;
        let pesel = string_claim(&self.pesel_claim);
        if pesel.is_none() && claims.contains_key(&self.pesel_claim) {
            tracing::warn!(claim = %self.pesel_claim, "OIDC PESEL claim is not a string, ignored");
        }
        Ok(OidcIdentity {
            subject,
            email: string_claim("email"),
            name: string_claim("name"),
            pesel,
        })
    }
}

fn map_token_error<RE: std::error::Error>(
    err: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> OidcError {
    match err {
        RequestTokenError::ServerResponse(resp) => {
            let error = resp.error().as_ref().to_owned();
            tracing::warn!(%error, "OIDC token endpoint returned an error");
            OidcError::TokenEndpoint {
                error,
                description: resp.error_description().cloned(),
            }
        }
        RequestTokenError::Request(e) => OidcError::TokenRequest(e.to_string()),
        RequestTokenError::Parse(e, _) => {
            OidcError::TokenRequest(format!("invalid token response: {e}"))
        }
        RequestTokenError::Other(msg) => OidcError::TokenRequest(msg),
    }
}

/// Transport errors of the oauth2 → reqwest adapter.
#[derive(Debug, thiserror::Error)]
enum HttpAdapterError {
    #[error("HTTP request failed: {0}")]
    Reqwest(#[from] reqwest::Error),
    #[error("invalid HTTP message: {0}")]
    Http(#[from] oauth2::http::Error),
    #[error("response body larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
}

/// Sends an `oauth2::HttpRequest` through reqwest (the oauth2 crate's own reqwest
/// integration targets an older reqwest).
async fn send_request(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, HttpAdapterError> {
    let request = reqwest::Request::try_from(request)?;
    let mut response = http.execute(request).await?;
    let mut builder = oauth2::http::Response::builder()
        .status(response.status())
        .version(response.version());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = read_limited(&mut response).await?;
    Ok(builder.body(body)?)
}

async fn read_limited(response: &mut reqwest::Response) -> Result<Vec<u8>, HttpAdapterError> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(HttpAdapterError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpAdapterError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn provider() -> OidcProvider {
        OidcProvider {
            authorization_url: "https://idp.example.pl/authorize".into(),
            token_url: "https://idp.example.pl/token".into(),
            userinfo_url: "https://idp.example.pl/userinfo".into(),
            client_id: "wspolnota".into(),
            client_secret: Some("s3cr3t-value".into()),
            redirect_url: "https://zamosc.wspolnota.example/auth/callback".into(),
            scopes: vec!["profile".into()],
            pesel_claim: "pesel".into(),
        }
    }

    fn client() -> OidcClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        OidcClient::new(provider(), http_client().unwrap()).unwrap()
    }

    #[test]
    fn state_comparison() {
        assert!(state_matches("abc", "abc"));
        assert!(!state_matches("abc", "abd"));
        assert!(!state_matches("abc", "abcd"));
        assert!(!state_matches("", "a"));
    }

    #[test]
    fn start_builds_pkce_authorize_url() {
        let c = client();
        let a = c.start();
        let b = c.start();
        assert_ne!(a.state, b.state);
        assert_ne!(a.pkce_verifier, b.pkce_verifier);
        assert!(a.pkce_verifier.len() >= 43);

        let url = url::Url::parse(&a.url).unwrap();
        assert_eq!(url.host_str(), Some("idp.example.pl"));
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "wspolnota");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], a.state);
        assert_eq!(
            q["redirect_uri"],
            "https://zamosc.wspolnota.example/auth/callback"
        );
        assert_eq!(q["scope"], "openid profile");
        assert!(!a.url.contains("s3cr3t-value"));

        use base64::Engine as _;
        use sha2::Digest as _;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(a.pkce_verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
    }

    #[test]
    fn invalid_config_rejected() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut p = provider();
        p.token_url = "not a url".into();
        assert!(matches!(
            OidcClient::new(p, http_client().unwrap()),
            Err(OidcError::InvalidConfig(_))
        ));
    }

    #[test]
    fn secrets_not_in_debug() {
        let c = client();
        let dbg = format!("{c:?} {:?}", c.start());
        assert!(!dbg.contains("s3cr3t-value"), "{dbg}");
    }

    #[test]
    fn provider_deserializes_with_defaults() {
        let p: OidcProvider = serde_json::from_value(serde_json::json!({
            "authorization_url": "https://a", "token_url": "https://t",
            "userinfo_url": "https://u", "client_id": "c", "redirect_url": "https://r"
        }))
        .unwrap();
        assert_eq!(p.pesel_claim, "pesel");
        assert_eq!(p.client_secret, None);
        assert_eq!(p.scopes, vec!["openid", "profile", "email"]);
    }
}
