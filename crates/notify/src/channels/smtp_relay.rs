//! One SMTP session to the relay, kept open across sends.
//!
//! lettre's pooled transport opens its sockets without `TCP_NODELAY`, and lettre writes the
//! end of DATA (`\r\n.\r\n`) as a separate small segment: Nagle's algorithm holds it until the
//! relay acknowledges the body, which the relay delays (delayed ACK) — about 40–50 ms per
//! message even on loopback. So for `smtp://` relays we open the TCP connection ourselves, with
//! `TCP_NODELAY`, and hand it to lettre's SMTP client (which still speaks the protocol: EHLO,
//! STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing). `smtps://` (TLS from the first byte) goes
//! through lettre's own connector.

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A session idle longer than this is checked with `NOOP` before it is reused: relays close
/// idle connections, and a message must not be half-sent into one that is gone.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// How the session is secured, from the URL as lettre's `from_url` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://host` (port 25).
    Plain,
    /// `smtp://host?tls=required|opportunistic` (port 587): STARTTLS after EHLO.
    StartTls { required: bool },
    /// `smtps://host` (port 465): TLS from the first byte.
    Implicit,
}

/// Where and how to reach the relay.
pub(super) struct RelayAddress {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl RelayAddress {
    /// Reads `smtp://[user:pass@]host[:port][/hello-name][?tls=required|opportunistic]` or
    /// `smtps://…`. The error names what is wrong and never contains the password.
    pub(super) fn parse(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the relay host is missing")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtps", None) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme {scheme:?} or tls parameter {tls:?} (expected smtp://, \
                     smtp://…?tls=required|opportunistic or smtps://)"
                ));
            }
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let credentials = parsed.password().map(|password| {
            Credentials::new(
                super::email::percent_decode(parsed.username()),
                super::email::percent_decode(password),
            )
        });
        Ok(Self {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            hello,
            credentials,
        })
    }
}

/// Why a send failed: lettre's SMTP error, or a command that outlived the timeout.
pub(super) enum SendError {
    Smtp(SmtpError),
    TimedOut(&'static str),
    /// The TCP connection could not be opened or configured.
    Network(std::io::Error),
    /// The TLS parameters could not be built (our configuration or the platform's roots).
    Tls(String),
}

struct Session {
    connection: AsyncSmtpConnection,
    last_used: Instant,
}

/// The relay and the one session we keep to it. Sends through one `SmtpRelay` are serialised
/// (one SMTP transaction at a time on one connection), which is what a single relay session
/// allows anyway.
pub(super) struct SmtpRelay {
    address: RelayAddress,
    timeout: Duration,
    session: Mutex<Option<Session>>,
}

impl SmtpRelay {
    pub(super) fn new(address: RelayAddress, timeout: Duration) -> Self {
        Self {
            address,
            timeout,
            session: Mutex::new(None),
        }
    }

    /// Sends one message. On any error the session is dropped (QUIT attempted), so the next
    /// send starts on a fresh connection rather than in the middle of a broken transaction.
    pub(super) async fn send(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<String, SendError> {
        let mut slot = self.session.lock().await;
        let kept = match slot.take() {
            Some(mut session) => {
                if self.reusable(&mut session).await {
                    Some(session)
                } else {
                    self.close(session.connection).await;
                    None
                }
            }
            None => None,
        };
        let mut session = match kept {
            Some(session) => session,
            None => Session {
                connection: self.connect().await?,
                last_used: Instant::now(),
            },
        };
        let result = self
            .timed("MAIL/RCPT/DATA", session.connection.send(envelope, bytes))
            .await
            .and_then(|r| r.map_err(SendError::Smtp));
        match result {
            Ok(response) => {
                session.last_used = Instant::now();
                *slot = Some(session);
                Ok(response.message().collect::<Vec<_>>().join(" "))
            }
            Err(error) => {
                self.close(session.connection).await;
                Err(error)
            }
        }
    }

    /// Whether a kept session can carry the next message (checked with NOOP after a pause).
    async fn reusable(&self, session: &mut Session) -> bool {
        if session.connection.has_broken() {
            return false;
        }
        if session.last_used.elapsed() <= CHECK_AFTER_IDLE {
            return true;
        }
        self.timed("NOOP", session.connection.test_connected())
            .await
            .unwrap_or(false)
    }

    /// Says QUIT, if the relay still listens within the timeout, and drops the connection.
    async fn close(&self, mut connection: AsyncSmtpConnection) {
        let _ = self.timed("QUIT", connection.abort()).await;
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let a = &self.address;
        let tls = || TlsParameters::new(a.host.clone()).map_err(|e| SendError::Tls(e.to_string()));
        let mut connection = match a.security {
            Security::Implicit => {
                let params = tls()?;
                self.timed(
                    "connect",
                    AsyncSmtpConnection::connect_tokio1(
                        (a.host.as_str(), a.port),
                        Some(self.timeout),
                        &a.hello,
                        Some(params),
                        None,
                    ),
                )
                .await?
                .map_err(SendError::Smtp)?
            }
            Security::Plain | Security::StartTls { .. } => {
                let stream = self
                    .timed("connect", TcpStream::connect((a.host.as_str(), a.port)))
                    .await?
                    .map_err(SendError::Network)?;
                // Without it every message waits for a delayed ACK (see the module comment).
                stream.set_nodelay(true).map_err(SendError::Network)?;
                let mut connection = self
                    .timed(
                        "EHLO",
                        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &a.hello),
                    )
                    .await?
                    .map_err(SendError::Smtp)?;
                if let Security::StartTls { required } = a.security
                    && (required || connection.can_starttls())
                {
                    let params = tls()?;
                    self.timed("STARTTLS", connection.starttls(params, &a.hello))
                        .await?
                        .map_err(SendError::Smtp)?;
                }
                connection
            }
        };
        if let Some(credentials) = &a.credentials {
            let auth = self
                .timed("AUTH", connection.auth(DEFAULT_MECHANISMS, credentials))
                .await;
            if let Err(e) = auth.and_then(|r| r.map_err(SendError::Smtp)) {
                self.close(connection).await;
                return Err(e);
            }
        }
        Ok(connection)
    }

    async fn timed<T>(
        &self,
        what: &'static str,
        step: impl Future<Output = T>,
    ) -> Result<T, SendError> {
        tokio::time::timeout(self.timeout, step)
            .await
            .map_err(|_| SendError::TimedOut(what))
    }
}
