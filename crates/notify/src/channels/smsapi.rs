//! SMSAPI.pl: SMS and voice messages.
//!
//! One small reqwest client for SMSAPI's legacy endpoints (`sms.do`, `vms.do`), which is what
//! SMSAPI's own SDKs call: a form-encoded POST with `Authorization: Bearer <token>` and
//! `format=json`. Every send carries our message id as `idx` with `check_idx=1`, so a retry
//! after an unknown outcome (a timeout) is refused by SMSAPI with error 53 instead of sending
//! the SMS twice; that refusal means the first attempt was accepted, so it is reported as
//! [`SendOutcome::Sending`].
//!
//! Also here: the part count and encoding of an SMS ([`parts`]), the Polish-diacritics
//! normalisation SMSAPI applies with `normalize=1` ([`normalize_polish`]), and the parser of
//! SMSAPI's delivery-report callbacks ([`parse_callback`]).
//!
//! The token is a secret: it is sent only in the `Authorization` header, never put in a URL,
//! an error or a log line, and [`SmsApiConfig`]'s `Debug` prints it redacted.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use url::Url;

use crate::channel::{Channel, ChannelError, ChannelKind, OutgoingMessage, SendOutcome};

/// SMSAPI's base URL for Polish accounts (`https://api.smsapi.com/` is the international one).
pub const BASE_URL_PL: &str = "https://api.smsapi.pl/";

/// SMSAPI's Polish text-to-speech voices (`tts_lector`); anything else is refused with error 35.
pub const TTS_LECTORS: [&str; 5] = ["agnieszka", "ewa", "jacek", "jan", "maja"];

/// The longest SMSAPI error message quoted in a [`ChannelError`].
const MAX_QUOTED: usize = 200;

/// One tenant's SMSAPI settings.
#[derive(Clone)]
pub struct SmsApiConfig {
    /// `https://api.smsapi.pl/` (a test server's URL in tests).
    pub base_url: Url,
    /// The OAuth token from SMSAPI's panel. Secret: never logged; `Debug` redacts it.
    pub token: String,
    /// The registered sender name (≤ 11 characters, e.g. "ZAMOSC"), used when the message
    /// names none. Empty: SMSAPI's account default.
    pub sender_name: String,
    /// SMSAPI's `test=1`: the request is validated and answered, nothing is sent or charged.
    pub test_mode: bool,
    /// The tenant's choice: `true` strips Polish diacritics (SMSAPI `normalize=1`, GSM-7,
    /// 160 characters a part); `false` keeps them (UCS-2, 70 characters a part).
    pub normalize: bool,
    /// The voice that reads voice messages: one of [`TTS_LECTORS`], e.g. "maja" or "jan".
    pub voice_tts_lector: String,
    /// The whole request's timeout; a timeout is a temporary failure (and safe to retry:
    /// `check_idx`).
    pub timeout: Duration,
    /// Where SMSAPI sends delivery reports (`notify_url`); `None`: the account's default.
    pub notify_url: Option<Url>,
}

impl SmsApiConfig {
    /// Production defaults: `api.smsapi.pl`, live sending, diacritics kept, lector "maja",
    /// a 15-second timeout, the account's default callback.
    pub fn new(token: impl Into<String>, sender_name: impl Into<String>) -> Self {
        Self {
            base_url: Url::parse(BASE_URL_PL).unwrap_or_else(|_| unreachable!()),
            token: token.into(),
            sender_name: sender_name.into(),
            test_mode: false,
            normalize: false,
            voice_tts_lector: "maja".to_owned(),
            timeout: Duration::from_secs(15),
            notify_url: None,
        }
    }
}

impl fmt::Debug for SmsApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsApiConfig")
            .field("base_url", &self.base_url.as_str())
            .field("token", &"[redacted]")
            .field("sender_name", &self.sender_name)
            .field("test_mode", &self.test_mode)
            .field("normalize", &self.normalize)
            .field("voice_tts_lector", &self.voice_tts_lector)
            .field("timeout", &self.timeout)
            .field("notify_url", &self.notify_url.as_ref().map(Url::as_str))
            .finish()
    }
}

/// The SMSAPI channel: SMS (`sms.do`) or voice (`vms.do`, text read by a TTS lector).
#[derive(Clone)]
pub struct SmsApi {
    kind: ChannelKind,
    config: SmsApiConfig,
    endpoint: Url,
    http: reqwest::Client,
}

impl fmt::Debug for SmsApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsApi")
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SmsApi {
    /// The SMS channel. Needs a process-wide rustls crypto provider (the server installs ring
    /// at start-up).
    pub fn sms(config: SmsApiConfig) -> Result<Self, ChannelError> {
        Self::new(ChannelKind::Sms, "sms.do", config)
    }

    /// The voice channel: SMSAPI calls the number and its lector reads the message's text.
    pub fn voice(config: SmsApiConfig) -> Result<Self, ChannelError> {
        if !TTS_LECTORS.contains(&config.voice_tts_lector.as_str()) {
            return Err(ChannelError::Technical(format!(
                "SMSAPI: unknown TTS lector {:?} (expected one of {})",
                config.voice_tts_lector,
                TTS_LECTORS.join(", ")
            )));
        }
        Self::new(ChannelKind::Voice, "vms.do", config)
    }

    fn new(kind: ChannelKind, path: &str, mut config: SmsApiConfig) -> Result<Self, ChannelError> {
        if !config.base_url.path().ends_with('/') {
            let with_slash = format!("{}/", config.base_url.path());
            config.base_url.set_path(&with_slash);
        }
        let endpoint = config
            .base_url
            .join(path)
            .map_err(|e| ChannelError::Technical(format!("SMSAPI: bad base URL: {e}")))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .timeout(config.timeout)
            .user_agent(concat!("wspolnota/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ChannelError::Technical(format!("SMSAPI: HTTP client: {e}")))?;
        Ok(Self {
            kind,
            config,
            endpoint,
            http,
        })
    }

    pub fn config(&self) -> &SmsApiConfig {
        &self.config
    }

    /// The form fields of one send (everything but the token, which goes in the header).
    pub fn form(
        &self,
        message: &OutgoingMessage,
    ) -> Result<Vec<(&'static str, String)>, ChannelError> {
        let to = recipient_digits(&message.to).ok_or_else(|| {
            ChannelError::Permanent("SMSAPI: the recipient is not a phone number".to_owned())
        })?;
        if message.text.trim().is_empty() {
            return Err(ChannelError::Permanent(
                "SMSAPI: the message has no text".to_owned(),
            ));
        }
        let mut form: Vec<(&'static str, String)> = vec![("to", to)];
        let sender = if message.sender.trim().is_empty() {
            self.config.sender_name.trim()
        } else {
            message.sender.trim()
        };
        match self.kind {
            ChannelKind::Voice => {
                form.push(("tts", message.text.clone()));
                form.push(("tts_lector", self.config.voice_tts_lector.clone()));
                // A voice call's caller id is a number; a sender *name* would be refused, so
                // one is sent only when it is a number, else the account's default is used.
                if let Some(number) = recipient_digits(sender) {
                    form.push(("from", number));
                }
            }
            _ => {
                form.push(("message", message.text.clone()));
                if !sender.is_empty() {
                    form.push(("from", sender.to_owned()));
                }
                if self.config.normalize {
                    form.push(("normalize", "1".to_owned()));
                }
            }
        }
        form.push(("format", "json".to_owned()));
        form.push(("encoding", "utf-8".to_owned()));
        form.push(("idx", message.id.to_string()));
        form.push(("check_idx", "1".to_owned()));
        if self.config.test_mode {
            form.push(("test", "1".to_owned()));
        }
        if let Some(url) = &self.config.notify_url {
            form.push(("notify_url", url.to_string()));
        }
        Ok(form)
    }
}

#[async_trait]
impl Channel for SmsApi {
    fn kind(&self) -> ChannelKind {
        self.kind
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, ChannelError> {
        let form = self.form(message)?;
        let response = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(&self.config.token)
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| transport_error(&e))?;
        let outcome = interpret(status, &body, message);
        match &outcome {
            Ok(SendOutcome::Sending { provider_id }) => tracing::debug!(
                message_id = %message.id,
                channel = self.kind.as_str(),
                provider_id = %provider_id,
                test_mode = self.config.test_mode,
                "SMSAPI accepted the message"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(
                message_id = %message.id,
                channel = self.kind.as_str(),
                http_status = status,
                %error,
                "SMSAPI did not accept the message"
            ),
        }
        outcome
    }
}

/// A transport failure (connection refused, reset, timeout, a body cut short): SMSAPI may or
/// may not have the message; a retry is safe (`check_idx`), so it is temporary. reqwest's
/// message names the URL, which holds no secret (the token is in a header).
fn transport_error(error: &reqwest::Error) -> ChannelError {
    if error.is_timeout() {
        ChannelError::Temporary("SMSAPI: timed out".to_owned())
    } else {
        ChannelError::Temporary(format!("SMSAPI: transport error: {error}"))
    }
}

/// E.164 (`+48 600 100 200`) → SMSAPI's `to` (`48600100200`): digits only, no `+`.
fn recipient_digits(number: &str) -> Option<String> {
    let trimmed = number.trim();
    let rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let digits: String = rest
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    (!digits.is_empty() && digits.len() <= 15 && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

/// SMSAPI's answer → the channel's outcome.
///
/// An answer carrying an error code (`{"error": 13, "message": …}`, whatever the HTTP status,
/// as SMSAPI's Go client also reads it, or a `list` entry's `error`) is mapped by
/// [`classify_error`]. Otherwise: a 2xx with `list[0].id` is accepted; 5xx and 429 are
/// temporary; anything else unexpected is technical (our integration is wrong).
fn interpret(
    http_status: u16,
    body: &str,
    message: &OutgoingMessage,
) -> Result<SendOutcome, ChannelError> {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        return interpret_text(http_status, body, message);
    };
    let first = json
        .get("list")
        .and_then(Value::as_array)
        .and_then(|list| list.first());
    let error = error_code(&json).or_else(|| first.and_then(error_code));
    if let Some(code) = error {
        let text = json
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| first.and_then(|f| f.get("message")).and_then(Value::as_str))
            .unwrap_or("");
        return match code {
            ErrorCode::Number(53) => Ok(duplicate_idx(&json, first, message)),
            ErrorCode::Number(n) => Err(classify_error(n, text)),
            ErrorCode::Text(name) if http_status >= 500 || http_status == 429 => Err(
                ChannelError::Temporary(format!("SMSAPI HTTP {http_status}: {}", quote(&name))),
            ),
            ErrorCode::Text(name) => Err(ChannelError::Technical(format!(
                "SMSAPI HTTP {http_status}: {} {}",
                quote(&name),
                quote(text)
            ))),
        };
    }
    if (200..300).contains(&http_status) {
        if let Some(id) = first.and_then(|f| f.get("id")).and_then(id_string) {
            return Ok(SendOutcome::Sending { provider_id: id });
        }
        return Err(ChannelError::Technical(format!(
            "SMSAPI HTTP {http_status}: an answer without a message id"
        )));
    }
    Err(by_http_status(http_status))
}

/// An answer that is not JSON: a proxy's error page, or SMSAPI's legacy text format
/// (`OK:<id>:<points>`, `ERROR:<code>`), which it uses when `format=json` is ignored.
fn interpret_text(
    http_status: u16,
    body: &str,
    message: &OutgoingMessage,
) -> Result<SendOutcome, ChannelError> {
    let body = body.trim();
    if let Some(rest) = body.strip_prefix("ERROR:")
        && let Ok(code) = rest.trim().parse::<u32>()
    {
        if code == 53 {
            return Ok(SendOutcome::Sending {
                provider_id: message.id.to_string(),
            });
        }
        return Err(classify_error(code, ""));
    }
    if (200..300).contains(&http_status)
        && let Some(rest) = body.strip_prefix("OK:")
        && let Some(id) = rest.split(':').next().filter(|id| !id.trim().is_empty())
    {
        return Ok(SendOutcome::Sending {
            provider_id: id.trim().to_owned(),
        });
    }
    if (200..300).contains(&http_status) {
        return Err(ChannelError::Technical(format!(
            "SMSAPI HTTP {http_status}: an answer that is not JSON"
        )));
    }
    Err(by_http_status(http_status))
}

fn by_http_status(http_status: u16) -> ChannelError {
    match http_status {
        429 | 500..=599 => ChannelError::Temporary(format!("SMSAPI HTTP {http_status}")),
        401 | 403 => ChannelError::Technical(format!(
            "SMSAPI HTTP {http_status}: authorisation refused (check the token)"
        )),
        _ => ChannelError::Technical(format!("SMSAPI HTTP {http_status}: unexpected answer")),
    }
}

/// Error 53 ("nieunikalny parametr idx"): a message with this `idx` was already accepted
/// within the last 4 days. Our `idx` is the message's own UUID, so the accepted one is this
/// message's earlier attempt (whose answer was lost, e.g. to a timeout): not a failure. The
/// documented answer names no id; if SMSAPI does give the original id it is used, else the
/// message's id (= the `idx`) stands in, and the delivery report is matched by its `idx`.
fn duplicate_idx(json: &Value, first: Option<&Value>, message: &OutgoingMessage) -> SendOutcome {
    let provider_id = first
        .and_then(|f| f.get("id"))
        .or_else(|| json.get("id"))
        .and_then(id_string)
        .unwrap_or_else(|| message.id.to_string());
    tracing::info!(
        message_id = %message.id,
        "SMSAPI: idx already accepted (a retry of a sent message); not sent again"
    );
    SendOutcome::Sending { provider_id }
}

enum ErrorCode {
    Number(u32),
    Text(String),
}

/// `error` as SMSAPI sends it: a number (legacy API), occasionally a numeric string, or a
/// name (`invalid_request_data`, the REST API's style). `0`/`null`/absent: no error.
fn error_code(value: &Value) -> Option<ErrorCode> {
    match value.get("error")? {
        Value::Number(n) => n
            .as_u64()
            .filter(|n| *n != 0)
            .map(|n| ErrorCode::Number(u32::try_from(n).unwrap_or(u32::MAX))),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => match s.trim().parse::<u32>() {
            Ok(0) => None,
            Ok(n) => Some(ErrorCode::Number(n)),
            Err(_) => Some(ErrorCode::Text(s.clone())),
        },
        _ => None,
    }
}

fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(MAX_QUOTED).collect();
    if text.chars().count() > MAX_QUOTED {
        quoted.push('…');
    }
    quoted
}

/// The class of an SMSAPI error code, over SMSAPI's documented list (the codes a send can
/// answer; the sub-user and sender-field management codes, 1000+, are not among them and fall
/// to "unknown"). Temporary: SMSAPI is busy or failed internally, or the moment is wrong
/// (VMS outside 08:00–22:00, too many calls to one number). Permanent: this recipient cannot
/// get this message (the number, a foreign number for VMS, content that cannot be sent as
/// rendered). Technical: our side (credentials, points, IP filter, sender field, request
/// shape); the engine retries after it is fixed. Unknown codes are technical.
pub fn classify_error(code: u32, smsapi_message: &str) -> ChannelError {
    let class = error_class(code);
    let description = error_description(code);
    let text = if smsapi_message.trim().is_empty() {
        format!("SMSAPI error {code}: {description}")
    } else {
        format!(
            "SMSAPI error {code}: {description} ({})",
            quote(smsapi_message.trim())
        )
    };
    match class {
        ErrorClass::Temporary => ChannelError::Temporary(text),
        ErrorClass::Permanent => ChannelError::Permanent(text),
        ErrorClass::Technical => ChannelError::Technical(text),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorClass {
    Temporary,
    Permanent,
    Technical,
}

fn error_class(code: u32) -> ErrorClass {
    use ErrorClass::{Permanent, Technical, Temporary};
    match code {
        // Message content that cannot be sent as rendered (too long / empty, more parts than
        // max_parts, TTS that cannot be converted): retrying the same text never helps.
        11 | 12 | 31 => Permanent,
        // The recipient: an invalid number, no valid number, VMS to a foreign number.
        13 | 32 | 33 => Permanent,
        // Sender field not registered / not approved: the tenant's configuration.
        14 => Technical,
        // Request shape we never send (flash, params, groups, MMS, files, UDH, dates, ...).
        17..=26 | 30 | 34..=36 | 40 | 41 | 50 | 54..=56 | 70 => Technical,
        // VMS only 08:00–22:00; ≤ 10 attempts a minute to one number: later will do.
        51 | 52 => Temporary,
        // Duplicate idx: handled before classification (a success); if it ever gets here, it
        // is not a failure to retry blindly.
        53 => Technical,
        // Credentials, no points, no template, IP filter, service not on the account.
        101..=105 | 110 => Technical,
        // "Please retry", internal errors, too many concurrent calls.
        8 | 200..=203 | 666 | 999 => Temporary,
        // Status / points queries (not a send's answer).
        300 | 301 | 400 => Technical,
        _ => Technical,
    }
}

fn error_description(code: u32) -> &'static str {
    match code {
        8 => "error in the call",
        11 => "message empty or too long, or not encodable (VMS: no TTS text)",
        12 => "more parts than max_parts",
        13 => "invalid recipient number",
        14 => "invalid sender field",
        17 => "flash message with special characters",
        18 => "invalid number of parameters",
        19 => "too many messages in one call",
        20 => "invalid number of idx parameters",
        21 => "MMS too large",
        22 => "invalid SMIL",
        23 => "cannot fetch the file",
        24 => "invalid file format",
        25 => "normalize and datacoding together",
        26 => "subject too long",
        30 => "UDH missing for binary data",
        31 => "TTS conversion failed",
        32 => "no VMS/MMS/Eco to foreign numbers (or foreign sending blocked)",
        33 => "no valid numbers",
        35 => "invalid TTS lector",
        36 => "binary message with a footer",
        40 => "no such group",
        41 => "the group is empty",
        50 => "scheduled more than 3 months ahead",
        51 => "VMS only between 08:00 and 22:00",
        52 => "too many attempts to one number (max 10 a minute)",
        53 => "idx already used (check_idx)",
        54 => "invalid date format",
        55 => "no landline numbers with skip_gsm",
        56 => "invalid expiration date",
        70 => "invalid notify_url",
        101 => "invalid or missing authorisation",
        102 => "invalid login or password",
        103 => "no points on the account",
        104 => "no such template",
        105 => "IP address not allowed (API IP filter)",
        110 => "service not available on the account",
        200 => "sending failed, retry",
        201 => "internal error",
        202 | 203 => "too many concurrent calls",
        300 => "invalid points value",
        301 => "no such message id",
        400 => "invalid message status id",
        666 | 999 => "internal error",
        _ => "unknown error code",
    }
}

/// How an SMS is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 03.38 7-bit alphabet: 160 characters alone, 153 a part when split.
    Gsm7,
    /// UTF-16: 70 characters alone, 67 a part when split (Polish diacritics need it).
    Ucs2,
}

/// How many parts (billed SMS) `text` takes and in which encoding; `normalize` is the
/// tenant's SMSAPI `normalize=1` (Polish diacritics stripped first). GSM-7 extension
/// characters (`€ [ ] { } ^ ~ \ |`, form feed) take two septets and are never split across
/// parts; in UCS-2 a character outside the BMP (an emoji) takes two units, never split. An
/// empty text counts as one part.
pub fn parts(text: &str, normalize: bool) -> (usize, Encoding) {
    let normalized;
    let text = if normalize {
        normalized = normalize_polish(text);
        normalized.as_str()
    } else {
        text
    };
    let septets: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    match septets {
        Some(units) => (count_parts(&units, 160, 153), Encoding::Gsm7),
        None => {
            let units: Vec<usize> = text.chars().map(char::len_utf16).collect();
            (count_parts(&units, 70, 67), Encoding::Ucs2)
        }
    }
}

fn count_parts(units: &[usize], single: usize, per_part: usize) -> usize {
    if units.iter().sum::<usize>() <= single {
        return 1;
    }
    let mut count = 1;
    let mut used = 0;
    for &unit in units {
        if used + unit > per_part {
            count += 1;
            used = 0;
        }
        used += unit;
    }
    count
}

/// Septets of one character in GSM 03.38 (basic table 1, extension table 2), `None` outside.
fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "\u{c}^{}\\[~]|€";
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Strips Polish diacritics as SMSAPI's `normalize=1` does: ą→a, ć→c, ę→e, ł→l, ń→n, ó→o,
/// ś→s, ź→z, ż→z, and the capitals alike. Other characters are kept.
pub fn normalize_polish(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            'Ą' => 'A',
            'Ć' => 'C',
            'Ę' => 'E',
            'Ł' => 'L',
            'Ń' => 'N',
            'Ó' => 'O',
            'Ś' => 'S',
            'Ź' | 'Ż' => 'Z',
            other => other,
        })
        .collect()
}

/// What became of a message, from SMSAPI's delivery report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// 404 DELIVERED.
    Delivered,
    /// 402 EXPIRED (the phone was off too long), 406 FAILED (SMSAPI's own sending error).
    TemporaryFailure,
    /// 405 UNDELIVERED (wrong or unavailable number), 407 REJECTED, 412 STOP.
    PermanentFailure,
    /// Not final, or no final word: 401 NOT_FOUND, 403 SENT, 408 UNKNOWN, 409 QUEUE,
    /// 410 ACCEPTED, 411 RENEWAL (voice: unanswered, calling again), and unknown codes. The
    /// message stays "sending" (the engine's timeout decides in the end).
    Unknown,
}

impl ReportStatus {
    /// SMSAPI's delivery status code → our status, over SMSAPI's full list (401–412).
    pub fn from_code(code: u16) -> Self {
        match code {
            404 => Self::Delivered,
            402 | 406 => Self::TemporaryFailure,
            405 | 407 | 412 => Self::PermanentFailure,
            401 | 403 | 408 | 409 | 410 | 411 => Self::Unknown,
            _ => Self::Unknown,
        }
    }

    /// Whether the report closes the message (delivered or failed).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Unknown)
    }
}

/// One delivery report from SMSAPI's callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// SMSAPI's message id (`MsgId`), as `list[0].id` answered the send.
    pub provider_id: String,
    /// Our message id as sent in `idx` (matches even when the send's answer was lost).
    pub idx: Option<String>,
    pub status: ReportStatus,
    /// SMSAPI's status code (401–412), kept for the record.
    pub code: u16,
    /// When the status was reached (`donedate`, Unix seconds).
    pub done_at: Option<DateTime<Utc>>,
}

/// A callback that is not a delivery report we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("SMSAPI callback: missing parameter {0}")]
    Missing(&'static str),
    #[error("SMSAPI callback: {0} lists {1} values for {2} messages")]
    LengthMismatch(&'static str, usize, usize),
    #[error("SMSAPI callback: invalid {0}: {1:?}")]
    Invalid(&'static str, String),
}

/// Parses SMSAPI's delivery-report callback (the query string of its GET to `notify_url`,
/// with or without the leading `?`): `MsgId`, `status`, and optionally `idx` and `donedate`,
/// each a comma-separated list when SMSAPI reports several messages at once (the n-th values
/// belong together). Other parameters (`status_name`, `username`, `points`, `to`, `mcc`, …)
/// are ignored. SMSAPI expects the answer `OK`.
pub fn parse_callback(query: &str) -> Result<Vec<DeliveryReport>, CallbackError> {
    let query = query.trim().trim_start_matches('?');
    let mut msg_ids = None;
    let mut statuses = None;
    let mut idxs = None;
    let mut done_dates = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.to_ascii_lowercase().as_str() {
            "msgid" => &mut msg_ids,
            "status" => &mut statuses,
            "idx" => &mut idxs,
            "donedate" => &mut done_dates,
            _ => continue,
        };
        *slot = Some(split_list(&value));
    }
    let msg_ids = msg_ids
        .filter(|ids| ids.iter().any(|id| !id.is_empty()))
        .ok_or(CallbackError::Missing("MsgId"))?;
    let count = msg_ids.len();
    let statuses = statuses.ok_or(CallbackError::Missing("status"))?;
    check_len("status", &statuses, count)?;
    if let Some(idxs) = &idxs {
        check_len("idx", idxs, count)?;
    }
    if let Some(dates) = &done_dates {
        check_len("donedate", dates, count)?;
    }
    let mut reports = Vec::with_capacity(count);
    for (i, provider_id) in msg_ids.into_iter().enumerate() {
        if provider_id.is_empty() {
            return Err(CallbackError::Invalid("MsgId", String::new()));
        }
        let raw_status = &statuses[i];
        let code: u16 = raw_status
            .parse()
            .map_err(|_| CallbackError::Invalid("status", raw_status.clone()))?;
        let idx = idxs
            .as_ref()
            .map(|v| v[i].clone())
            .filter(|idx| !idx.is_empty());
        let done_at = match done_dates.as_ref().map(|v| v[i].as_str()) {
            None | Some("") => None,
            Some(raw) => Some(parse_done_date(raw)?),
        };
        reports.push(DeliveryReport {
            provider_id,
            idx,
            status: ReportStatus::from_code(code),
            code,
            done_at,
        });
    }
    Ok(reports)
}

fn split_list(value: &str) -> Vec<String> {
    value.split(',').map(|v| v.trim().to_owned()).collect()
}

fn check_len(name: &'static str, values: &[String], count: usize) -> Result<(), CallbackError> {
    if values.len() == count {
        Ok(())
    } else {
        Err(CallbackError::LengthMismatch(name, values.len(), count))
    }
}

/// `donedate` is a Unix timestamp in seconds.
fn parse_done_date(raw: &str) -> Result<DateTime<Utc>, CallbackError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| CallbackError::Invalid("donedate", raw.to_owned()))
}
