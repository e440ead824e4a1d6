//! A minimal but strict OpenID Connect identity provider for tests:
//! authorization-code flow with mandatory PKCE (S256), single-use codes,
//! client authentication by HTTP Basic or request body, and a Bearer-protected
//! userinfo endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How the test IdP behaves.
#[derive(Debug, Clone)]
pub struct IdpConfig {
    pub client_id: String,
    /// `None`: public client, only `client_id` in the body is required.
    pub client_secret: Option<String>,
    /// The only redirect URI registered for the client.
    pub redirect_uri: String,
    /// Name of the userinfo claim carrying the PESEL; `None` omits it.
    pub pesel_claim: Option<String>,
    /// Omit `sub` from userinfo (a broken provider).
    pub omit_sub: bool,
    /// Answer userinfo with 401 even for valid tokens.
    pub reject_userinfo: bool,
}

impl Default for IdpConfig {
    fn default() -> Self {
        Self {
            client_id: "client".to_owned(),
            client_secret: None,
            redirect_uri: "https://rp.test/callback".to_owned(),
            pesel_claim: Some("pesel".to_owned()),
            omit_sub: false,
            reject_userinfo: false,
        }
    }
}

/// What the IdP observed (for assertions).
#[derive(Debug, Clone, Default)]
pub struct IdpLog {
    /// `scope` of every accepted authorization request.
    pub authorize_scopes: Vec<String>,
    /// Client authentication method of every token request: "basic" or "body".
    pub token_client_auth: Vec<String>,
}

struct Grant {
    code_challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct IdpState {
    /// Issued, not yet redeemed codes. Redeeming (successfully or not) removes the code.
    codes: HashMap<String, Grant>,
    access_tokens: Vec<String>,
    log: IdpLog,
}

struct Inner {
    config: std::sync::RwLock<IdpConfig>,
    state: Mutex<IdpState>,
}

/// A running test IdP; the server task lives until the test's runtime shuts down.
pub struct TestIdp {
    pub base_url: String,
    inner: Arc<Inner>,
}

impl TestIdp {
    pub async fn start(config: IdpConfig) -> Self {
        let inner = Arc::new(Inner {
            config: std::sync::RwLock::new(config),
            state: Mutex::new(IdpState::default()),
        });
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url: format!("http://{addr}"),
            inner,
        }
    }

    /// Registers the client's redirect URI once it is known (the app's port is picked late).
    pub fn set_redirect_uri(&self, uri: &str) {
        self.inner.config.write().unwrap().redirect_uri = uri.to_owned();
    }

    pub fn log(&self) -> IdpLog {
        self.inner.state.lock().unwrap().log.clone()
    }
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

async fn authorize(
    State(idp): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cfg = idp.config.read().unwrap().clone();
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    // Without a valid client and redirect URI we must not redirect at all.
    if param("client_id") != cfg.client_id || param("redirect_uri") != cfg.redirect_uri {
        return (StatusCode::BAD_REQUEST, "unknown client or redirect_uri").into_response();
    }
    if param("response_type") != "code"
        || param("code_challenge_method") != "S256"
        || param("code_challenge").len() != 43
        || param("state").is_empty()
        || !param("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "invalid authorization request").into_response();
    }

    let code = random_token();
    {
        let mut st = idp.state.lock().unwrap();
        st.codes.insert(
            code.clone(),
            Grant {
                code_challenge: param("code_challenge").to_owned(),
                redirect_uri: param("redirect_uri").to_owned(),
            },
        );
        st.log.authorize_scopes.push(param("scope").to_owned());
    }

    let mut location = url::Url::parse(&cfg.redirect_uri).unwrap();
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", param("state"));
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// Decodes one `application/x-www-form-urlencoded` component (RFC 6749 §2.3.1).
fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Returns `(method, client_id, client_secret)` or `None` when the credentials are garbled.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(&'static str, String, Option<String>)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let encoded = value.to_str().ok()?.strip_prefix("Basic ")?;
        let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some(("basic", form_decode(id), Some(form_decode(secret))));
    }
    Some((
        "body",
        form.get("client_id")?.clone(),
        form.get("client_secret").cloned(),
    ))
}

async fn token(
    State(idp): State<Arc<Inner>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let cfg = idp.config.read().unwrap().clone();
    let mut st = idp.state.lock().unwrap();

    let Some((method, id, secret)) = client_credentials(&headers, &form) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    st.log.token_client_auth.push(method.to_owned());
    if id != cfg.client_id || (cfg.client_secret.is_some() && secret != cfg.client_secret) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }

    let param = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if param("grant_type") != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    // Single use: the code is consumed by the first attempt, successful or not.
    let Some(grant) = st.codes.remove(param("code")) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if param("redirect_uri") != grant.redirect_uri {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(param("code_verifier").as_bytes()));
    if param("code_verifier").is_empty() || computed != grant.code_challenge {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }

    let access_token = random_token();
    st.access_tokens.push(access_token.clone());
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
        })),
    )
        .into_response()
}

async fn userinfo(State(idp): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let cfg = idp.config.read().unwrap().clone();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let known = idp
        .state
        .lock()
        .unwrap()
        .access_tokens
        .iter()
        .any(|t| t == token);
    if !known || cfg.reject_userinfo {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    }

    let mut claims = serde_json::Map::new();
    if !cfg.omit_sub {
        claims.insert("sub".into(), json!("user-123"));
    }
    claims.insert("email".into(), json!("jan.kowalski@example.pl"));
    claims.insert("name".into(), json!("Jan Kowalski"));
    if let Some(claim) = &cfg.pesel_claim {
        claims.insert(claim.clone(), json!("02070803628"));
    }
    axum::Json(serde_json::Value::Object(claims)).into_response()
}
