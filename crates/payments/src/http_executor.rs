//! The one place gateway HTTP calls are sent from: no redirects followed (PayU answers order
//! creation with 302 + JSON), timeouts, a few retries of idempotent calls, and tracing and
//! metrics that never record bodies (they carry personal data and secrets).

use std::time::{Duration, Instant};

use reqwest::{Client, RequestBuilder, Response};

use crate::gateway::GatewayError;

#[derive(Clone)]
pub struct HttpExecutor {
    client: Client,
    retries: u32,
}

impl HttpExecutor {
    /// Needs a process-wide rustls crypto provider (the server installs ring at start-up).
    pub fn new() -> Result<Self, GatewayError> {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("wspolnota/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Config(format!("HTTP client: {e}")))?;
        Ok(Self { client, retries: 2 })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a request; an idempotent one (a status query) is retried on transport errors and
    /// 5xx answers with a short backoff. `gateway` and `call` label logs and metrics.
    pub async fn send(
        &self,
        gateway: &'static str,
        call: &'static str,
        request: RequestBuilder,
        idempotent: bool,
    ) -> Result<Response, GatewayError> {
        let attempts = if idempotent { self.retries + 1 } else { 1 };
        let mut last_error = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let Some(req) = request.try_clone() else {
                return Err(GatewayError::Config(
                    "request body cannot be retried".into(),
                ));
            };
            let started = Instant::now();
            let result = req.send().await;
            let elapsed = started.elapsed();
            let outcome = match &result {
                Ok(resp) => resp.status().as_u16().to_string(),
                Err(_) => "transport".to_owned(),
            };
            metrics::counter!("gateway_requests_total", "gateway" => gateway, "call" => call, "outcome" => outcome.clone())
                .increment(1);
            metrics::histogram!("gateway_request_duration_seconds", "gateway" => gateway, "call" => call)
                .record(elapsed.as_secs_f64());
            tracing::info!(
                gateway,
                call,
                attempt,
                outcome,
                elapsed_ms = elapsed.as_millis() as u64,
                "gateway call"
            );
            match result {
                Ok(resp)
                    if idempotent && resp.status().is_server_error() && attempt + 1 < attempts =>
                {
                    last_error = Some(GatewayError::Provider {
                        status: resp.status().as_u16(),
                        code: None,
                        message: "server error".into(),
                    });
                }
                Ok(resp) => return Ok(resp),
                Err(e) => last_error = Some(GatewayError::Transport(e.without_url().to_string())),
            }
        }
        Err(last_error.unwrap_or_else(|| GatewayError::Transport("no attempt made".into())))
    }
}
