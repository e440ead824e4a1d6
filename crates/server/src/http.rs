//! The HTTP surface: host → tenant resolution, the per-request `Ctx`, GraphQL, the identity
//! provider's redirect routes, health and metrics.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use async_graphql::ParseRequestError;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;
use wspolnota_core::graphql::RequestMeta;
use wspolnota_core::{Actor, AppError, Ctx, ErrorCode, HostMatch, RequestId, Scope, TenantStatus};

use crate::graphql;
use crate::graphql::{AppSchema, build_schema};
use crate::state::AppState;

/// Request bodies above this are refused (413) before anything parses them.
const MAX_BODY_BYTES: usize = 1 << 20;
/// File uploads (GraphQL multipart requests, e.g. a bank statement) may be this large.
const MAX_UPLOAD_BYTES: usize = 65 << 20;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub fn router(state: AppState) -> Router {
    let schema = build_schema(Some(state.clone()));
    let mut tenant_routes: Router = Router::new()
        .route("/graphql", get(graphiql).post(graphql_handler))
        .route("/graphql/ws", get(graphql_ws))
        .route("/auth/oidc/login", get(oidc_login))
        .route("/auth/oidc/callback", get(oidc_callback))
        .with_state(state.clone());
    // E-service routes (webhooks, downloads) read the request's Ctx from the extensions.
    for eservice in state.eservices.iter() {
        tenant_routes = tenant_routes.merge(eservice.routes());
    }
    // The resident portal: server-rendered pages, signed in by session cookie.
    tenant_routes = tenant_routes.merge(wspolnota_portal::router(portal(&state)));
    let tenant_routes = tenant_routes
        .layer(Extension(schema))
        .route_layer(middleware::from_fn_with_state(state.clone(), resolve_ctx));

    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
        .merge(tenant_routes)
        .layer(middleware::from_fn(observe))
        .layer(middleware::from_fn(limit_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
}

/// Caps the request body: 1 MiB, or 65 MiB for a multipart upload. A declared length above
/// the cap is refused at once; a longer chunked body fails while it is read (the handlers
/// answer 413 in the catalogue's shape either way).
async fn limit_body(req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let limit = if multipart {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large_for(limit);
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

fn prometheus() -> &'static Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
}

pub fn init_metrics() {
    let _ = prometheus();
}

async fn metrics() -> Response {
    match prometheus() {
        Some(handle) => handle.render().into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response(),
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

fn host_of(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.registry.resolve_host(host_of(&headers)) {
        HostMatch::Unknown => unknown_host(host_of(&headers)).into_response(),
        _ => AppError::not_found("no such page").into_response(),
    }
}

fn unknown_host(host: &str) -> AppError {
    let shown: String = host
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(100)
        .collect();
    AppError::not_found(format!(
        "no municipality is served at host `{shown}`; use <slug>.<base domain>, e.g. zamosc.localhost"
    ))
}

/// Stamps a request id, opens the request's span, counts and times every request.
async fn observe(mut req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::from_header)
        .unwrap_or_default();
    req.extensions_mut().insert(request_id.clone());
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
        tenant = tracing::field::Empty,
    );
    let started = Instant::now();
    let method = req.method().to_string();
    let mut response = next.run(req).instrument(span.clone()).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|t| t != "application/json")
    {
        // The body-limit layer answers in plain text; keep the catalogue's shape.
        response = too_large();
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16().to_string();
    let tenant = response
        .extensions()
        .get::<TenantLabel>()
        .map_or("none", |t| t.0.as_str())
        .to_owned();
    metrics::counter!("http_requests_total", "method" => method, "status" => status.clone(), "tenant" => tenant.clone())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "tenant" => tenant)
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "request finished"
        )
    });
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The tenant (or "platform") a response belongs to, for metrics labels.
#[derive(Clone)]
struct TenantLabel(String);

/// Resolves the host to a tenant (404 if none, 503 if suspended) and enters it.
async fn resolve_ctx(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let host = host_of(req.headers()).to_owned();
    let scope = match state.registry.resolve_host(&host) {
        HostMatch::Unknown => return unknown_host(&host).into_response(),
        HostMatch::Platform => Scope::Platform,
        HostMatch::Tenant(tenant) => Scope::Tenant(tenant),
    };
    let audience = match &scope {
        Scope::Tenant(t) => t.slug().to_string(),
        Scope::Platform => "platform".to_owned(),
    };
    tracing::Span::current().record("tenant", audience.as_str());
    let mut response = match scope {
        Scope::Tenant(tenant) if tenant.status() == TenantStatus::Suspended => {
            AppError::suspended(format!(
                "{} is temporarily unavailable on this platform",
                tenant.config().name
            ))
            .into_response()
        }
        scope => enter(&state, scope, &audience, peer, req, next).await,
    };
    response.extensions_mut().insert(TenantLabel(audience));
    response
}

/// The portal's dependencies, from the application state.
fn portal(state: &AppState) -> wspolnota_portal::Portal {
    wspolnota_portal::Portal {
        auth: state.auth.clone(),
        finance: state.finance.clone(),
        payments: state.payments.clone(),
        secure_cookies: secure_cookies(state),
        eservices: std::sync::Arc::new(
            state
                .eservices
                .iter()
                .map(|e| (e.id(), e.title()))
                .collect(),
        ),
        registry: state.registry.clone(),
    }
}

fn secure_cookies(state: &AppState) -> bool {
    state.settings.public_scheme.eq_ignore_ascii_case("https")
}

/// GraphQL (and its WebSocket) take bearer tokens only: a session cookie a browser attaches on
/// its own must not authorise them, so no cross-site form or socket can act there. Elsewhere
/// the cookie authorises reading (GET, e.g. a receipt) and the portal's CSRF-checked forms.
fn cookie_session_allowed(method: &axum::http::Method, path: &str) -> bool {
    if path == "/graphql" || path.starts_with("/graphql/") {
        return false;
    }
    method == axum::http::Method::GET
        || method == axum::http::Method::HEAD
        || wspolnota_portal::FORM_PATHS.contains(&path)
}

/// Verifies the bearer token for the scope's audience (401 otherwise), or else the portal's
/// session cookies (renewed when the access token expired), and runs the request with its
/// `Ctx`.
async fn enter(
    state: &AppState,
    scope: Scope,
    audience: &str,
    peer: SocketAddr,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_default();
    let mut cookies = Vec::new();
    let actor = match bearer(req.headers()) {
        Some(token) => {
            let kv = Ctx::new(
                scope.clone(),
                Actor::Anonymous,
                request_id.clone(),
                state.services(),
            )
            .kv();
            match state
                .auth
                .authenticate_live(&kv, audience, token, state.clock.now())
                .await
            {
                Ok(actor) => actor,
                Err(e) => return e.into_response(),
            }
        }
        None if cookie_session_allowed(req.method(), req.uri().path()) => {
            let anonymous = Ctx::new(
                scope.clone(),
                Actor::Anonymous,
                request_id.clone(),
                state.services(),
            );
            let (actor, set) = wspolnota_portal::session::cookie_actor(
                &state.auth,
                &anonymous,
                req.headers(),
                secure_cookies(state),
            )
            .await;
            cookies = set;
            actor
        }
        None => Actor::Anonymous,
    };
    let client = client_addr(state, req.headers(), peer);
    req.extensions_mut()
        .insert(Ctx::new(scope, actor, request_id, state.services()));
    req.extensions_mut()
        .insert(wspolnota_portal::ClientAddr(client.clone()));
    req.extensions_mut().insert(graphql::ClientAddr(client));
    let mut response = next.run(req).await;
    // A handler that set the session itself (sign-in, sign-out) has the last word.
    let handler_set_session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|c| {
            c.to_str().is_ok_and(|c| {
                c.starts_with(&format!("{}=", wspolnota_portal::session::ACCESS_COOKIE))
            })
        });
    if !handler_set_session {
        wspolnota_portal::session::append_cookies(&mut response, cookies);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn client_addr(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    if state.settings.trust_proxy_headers
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return forwarded.trim().to_owned();
    }
    peer.ip().to_string()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Wspólnota GraphQL")
            .finish(),
    )
}

async fn graphql_handler(
    Extension(schema): Extension<AppSchema>,
    Extension(ctx): Extension<Ctx>,
    Extension(client): Extension<graphql::ClientAddr>,
    headers: HeaderMap,
    req: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let req = match req {
        Ok(req) => req.into_inner(),
        Err(rejection) => return rejected(rejection.0),
    };
    let meta = RequestMeta {
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_addr: Some(client.0.clone()),
    };
    let mut response = schema.execute(req.data(ctx).data(client).data(meta)).await;
    // Errors raised by async-graphql itself (syntax, unknown fields, depth, input coercion)
    // carry no code: they are all the client's to fix.
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::Validation.as_str());
        }
    }
    GraphQLResponse::from(response).into_response()
}

/// GraphQL subscriptions over WebSocket (`graphql-transport-ws` or the older `graphql-ws`).
/// The upgrade request's `Ctx` applies; a browser, which cannot set headers on a WebSocket,
/// may instead send `{"Authorization": "Bearer …"}` in `connection_init`.
async fn graphql_ws(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    Extension(ctx): Extension<Ctx>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let mut data = async_graphql::Data::default();
                    data.insert(ws_ctx(&state, ctx, &payload).await?);
                    Ok(data)
                })
                .serve()
                .await;
        })
}

/// The connection's `Ctx`: the upgrade request's, or one for the token in `connection_init`.
async fn ws_ctx(
    state: &AppState,
    ctx: Ctx,
    payload: &serde_json::Value,
) -> async_graphql::Result<Ctx> {
    let token = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Ok(ctx);
    };
    let actor = state
        .auth
        .authenticate_live(&ctx.kv(), ctx.audience(), token, state.clock.now())
        .await
        .map_err(|e| async_graphql::Error::new(e.message().to_owned()))?;
    Ok(Ctx::new(
        ctx.scope().clone(),
        actor,
        ctx.request_id().clone(),
        state.services(),
    ))
}

/// A request body that is not a GraphQL request, in the catalogue's shape.
fn rejected(err: ParseRequestError) -> Response {
    if is_too_large(&err) {
        return too_large();
    }
    let message = match err {
        ParseRequestError::InvalidRequest(e) => format!("invalid GraphQL request: {e}"),
        other => format!("invalid GraphQL request: {other}"),
    };
    let mut response = AppError::validation("body", message).into_response();
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

fn is_too_large(err: &ParseRequestError) -> bool {
    match err {
        ParseRequestError::PayloadTooLarge => true,
        // The body-limit layer stops a chunked body while it is read.
        ParseRequestError::Io(io) => io.to_string().contains("length limit exceeded"),
        _ => false,
    }
}

fn too_large() -> Response {
    too_large_for(MAX_BODY_BYTES)
}

fn too_large_for(limit: usize) -> Response {
    let mut response = AppError::validation(
        "body",
        format!("the request body is larger than {} KiB", limit / 1024),
    )
    .into_response();
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}

/// Where the identity provider sends the browser back: this host's callback.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    format!(
        "{}://{}/auth/oidc/callback",
        state.settings.public_scheme,
        host_of(headers)
    )
}

async fn oidc_login(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    match state
        .auth
        .oidc_start(&ctx, &callback_url(&state, &headers))
        .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn oidc_callback(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    if let Some(error) = params.error {
        let shown: String = error
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(64)
            .collect();
        return AppError::unauthenticated(format!(
            "the identity provider refused the sign-in ({shown})"
        ))
        .into_response();
    }
    let (Some(code), Some(oidc_state)) = (params.code, params.state) else {
        return AppError::validation("code", "the callback needs `code` and `state`")
            .into_response();
    };
    let signed_in = match state
        .auth
        .oidc_finish(&ctx, &callback_url(&state, &headers), &code, &oidc_state)
        .await
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if let Some(hmac) = &signed_in.pesel_hmac
        && let Err(e) = identity_verified(&state, &ctx, &signed_in, hmac).await
    {
        return e.into_response();
    }
    let pair = signed_in.tokens;
    if accepts_html(&headers) {
        // A browser (the portal's "Zaloguj przez …" button): a session, then the portal.
        let mut response = Redirect::to("/naleznosci").into_response();
        let mut cookies = wspolnota_portal::session::session_cookies(&pair, secure_cookies(&state));
        cookies.extend(wspolnota_portal::session::set_cookie(
            wspolnota_portal::session::CSRF_COOKIE,
            &wspolnota_portal::csrf::new_token(),
            secure_cookies(&state),
        ));
        wspolnota_portal::session::append_cookies(&mut response, cookies);
        return response;
    }
    Json(serde_json::json!({
        "accessToken": pair.access_token,
        "refreshToken": pair.refresh_token,
        "expiresAt": pair.expires_at,
    }))
    .into_response()
}

/// A browser navigating (not an API client asking for JSON).
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Tells the tenant's e-services that this account's PESEL was verified, acting as that
/// account (finance links the parties with that PESEL).
async fn identity_verified(
    state: &AppState,
    ctx: &Ctx,
    signed_in: &wspolnota_auth::OidcSignIn,
    pesel_hmac: &str,
) -> Result<(), AppError> {
    let enabled = ctx.tenant()?.config().e_services.clone();
    let actor = Actor::Account {
        id: signed_in.account,
        roles: signed_in.roles.clone(),
        session: String::new(),
    };
    let as_user = Ctx::new(
        ctx.scope().clone(),
        actor,
        ctx.request_id().clone(),
        state.services(),
    );
    for eservice in state
        .eservices
        .iter()
        .filter(|e| enabled.iter().any(|id| id == e.id()))
    {
        eservice.on_identity_verified(&as_user, pesel_hmac).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::cookie_session_allowed;

    #[test]
    fn the_session_cookie_never_reaches_graphql_and_posts_only_to_portal_forms() {
        assert!(!cookie_session_allowed(&Method::POST, "/graphql"));
        assert!(!cookie_session_allowed(&Method::GET, "/graphql"));
        assert!(!cookie_session_allowed(&Method::GET, "/graphql/ws"));
        assert!(cookie_session_allowed(&Method::GET, "/payments/x/receipt"));
        assert!(cookie_session_allowed(&Method::POST, "/platnosci"));
        assert!(cookie_session_allowed(&Method::POST, "/wyloguj"));
        assert!(!cookie_session_allowed(
            &Method::POST,
            "/payments/sandbox/x"
        ));
        assert!(!cookie_session_allowed(&Method::DELETE, "/naleznosci"));
    }
}
