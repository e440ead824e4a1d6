//! The delivery engine at the service level, on a real store (PostgreSQL when `DATABASE_URL`
//! is set, SQLite otherwise), a real SMTP server and a wiremock SMSAPI: a posted payment's
//! e-mail end to end, a crash after claiming, a provider outage, a provider timeout retried
//! with the same `idx`, a permanent failure, consent, and quiet hours. Every test counts what
//! the provider received: each message goes out exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../payments/tests/support/service_fixture.rs"]
mod fixture;
#[path = "support/smtp.rs"]
mod smtp;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fixture::{Fixture, m};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use smtp::{SmtpServer, TempDir, free_port, parse_eml};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use wspolnota_core::tenant::TenantConfig;
use wspolnota_core::{Actor, Ctx, Money, RequestId, Scope, Tenant, TenantStatus};
use wspolnota_finance::entity::{consent, party};
use wspolnota_finance::service::payments::{self, Channel as PayChannel, NewPayment};
use wspolnota_notify::Notify;
use wspolnota_notify::engine::deliver::{self, Delivered, LEASE, status};
use wspolnota_notify::engine::plan::plan;
use wspolnota_notify::entity::message;

const EMAIL: &str = "osoba1@zamosc.test";
const PHONE: &str = "+48600100200";
const TOKEN_ENV: &str = "TEST_SMSAPI_TOKEN";

/// The Notify's environment, changeable while the test runs (a relay that comes back).
#[derive(Clone, Default)]
struct Env(Arc<Mutex<HashMap<String, String>>>);

impl Env {
    fn set(&self, key: &str, value: &str) {
        self.0
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_owned());
    }
}

struct Engine {
    f: Fixture,
    notify: Notify,
    env: Env,
    /// The system context the worker runs in (for SMS tests: a tenant with SMSAPI set up).
    ctx: Ctx,
    _mail: TempDir,
}

/// Zamość's tenant file with SMSAPI at `smsapi_url` and the given quiet hours.
fn sms_tenant(smsapi_url: &str, quiet_until: u32, quiet_from: u32) -> Arc<Tenant> {
    tenant_with(&format!(
        "smsapi_token_env = \"{TOKEN_ENV}\"\nsmsapi_url = \"{smsapi_url}\"\n\
         quiet_until_hour = {quiet_until}\nquiet_from_hour = {quiet_from}"
    ))
}

impl Engine {
    async fn new(today: &str) -> Self {
        let f = Fixture::new(today).await;
        let env = Env::default();
        let lookup = env.clone();
        let mail = TempDir::new("engine-mail");
        let notify = Notify::new(
            f.finance.clone(),
            Arc::new(move |k| lookup.0.lock().unwrap().get(k).cloned()),
            mail.path().to_path_buf(),
        );
        let ctx = f.system();
        Self {
            f,
            notify,
            env,
            ctx,
            _mail: mail,
        }
    }

    /// E-mail through `smtp_url`.
    async fn email(today: &str, smtp_url: &str) -> Self {
        let e = Self::new(today).await;
        e.env.set("SMTP_URL", smtp_url);
        e.reach(Some(EMAIL), None, &[("email", true)]).await;
        e
    }

    /// SMS through the wiremock SMSAPI `server`, with the given quiet hours.
    async fn sms(today: &str, server: &MockServer, quiet: (u32, u32)) -> Self {
        let mut e = Self::new(today).await;
        e.env.set(TOKEN_ENV, "sekret-token-0123456789abcdef");
        let tenant = sms_tenant(&format!("{}/", server.uri()), quiet.0, quiet.1);
        e.ctx = Ctx::new(
            Scope::Tenant(tenant),
            Actor::System,
            RequestId::new(),
            e.f.services(),
        );
        e.reach(None, Some(PHONE), &[("sms", true)]).await;
        e
    }

    /// Sets the party's addresses and consents.
    async fn reach(&self, email: Option<&str>, phone: Option<&str>, consents: &[(&str, bool)]) {
        let now = self.now();
        self.f
            .with_tx(async |tx| {
                let mut p: party::ActiveModel = party::Entity::find_by_id(self.f.party.id)
                    .one(tx)
                    .await
                    .unwrap()
                    .unwrap()
                    .into();
                p.email = Set(email.map(str::to_owned));
                p.phone = Set(phone.map(str::to_owned));
                p.update(tx).await.unwrap();
                for (channel, granted) in consents {
                    let existing =
                        consent::Entity::find_by_id((self.f.party.id, (*channel).to_owned()))
                            .one(tx)
                            .await
                            .unwrap();
                    match existing {
                        Some(c) => {
                            let mut c: consent::ActiveModel = c.into();
                            c.granted = Set(*granted);
                            c.at = Set(now);
                            c.update(tx).await.unwrap();
                        }
                        None => {
                            consent::ActiveModel {
                                party_id: Set(self.f.party.id),
                                channel: Set((*channel).to_owned()),
                                granted: Set(*granted),
                                at: Set(now),
                                source: Set("test".to_owned()),
                            }
                            .insert(tx)
                            .await
                            .unwrap();
                        }
                    }
                }
            })
            .await;
    }

    fn now(&self) -> DateTime<Utc> {
        use wspolnota_core::Clock;
        self.f.clock.now()
    }

    /// A cash-desk payment of `amount` recorded by the clerk (it enqueues "payment posted").
    async fn pay(&self, amount: &str, key: &str) {
        payments::record_payment(
            &self.f.finance,
            &self.f.clerk,
            NewPayment {
                party_id: self.f.party.id,
                amount: m(amount),
                paid_on: self.f.today(),
                title: "Podatek od nieruchomości".into(),
                installment_ids: Vec::new(),
                indicated_kind: None,
                indicated_obligation: None,
                named_installments: None,
                channel: PayChannel::Cash,
                idempotency_key: key.into(),
            },
        )
        .await
        .unwrap();
    }

    async fn plan(&self) -> usize {
        plan(&self.notify, &self.ctx).await.unwrap()
    }

    async fn deliver(&self) -> Delivered {
        deliver::deliver(&self.notify, &self.ctx, 10).await.unwrap()
    }

    async fn messages(&self) -> Vec<message::Model> {
        self.f
            .all(message::Entity::find().order_by_asc(message::Column::CreatedAt))
            .await
    }

    async fn only_message(&self) -> message::Model {
        let all = self.messages().await;
        assert_eq!(all.len(), 1, "exactly one message: {all:#?}");
        all.into_iter().next().unwrap()
    }

    async fn delivered_count(&self) -> usize {
        self.f
            .all(message::Entity::find().filter(message::Column::Status.eq(status::DELIVERED)))
            .await
            .len()
    }

    fn advance(&self, by: Duration) {
        self.f.clock.advance(by);
    }
}

fn sent(n: usize) -> Delivered {
    Delivered {
        sent: n,
        ..Delivered::default()
    }
}

fn accepted(id: &str) -> serde_json::Value {
    json!({
        "count": 1,
        "list": [{
            "id": id,
            "points": 0.16,
            "number": "48600100200",
            "date_sent": 1_760_000_000,
            "submitted_number": "48600100200",
            "status": "QUEUE",
            "error": null,
            "idx": null
        }]
    })
}

fn form_of(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

async fn smsapi(answer: serde_json::Value) -> MockServer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// The decoded text parts of a received e-mail.
fn text_of(received: &smtp::Received) -> (String, String) {
    let parsed = parse_eml(&received.path);
    let text = parsed["parts"]
        .as_array()
        .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect())
        .unwrap_or_default();
    (
        parsed["subject"].as_str().unwrap_or_default().to_owned(),
        text,
    )
}

fn polish_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

// -------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_posted_payment_is_emailed_once_with_the_new_balance() {
    let server = SmtpServer::start();
    let e = Engine::email("2026-06-10", &server.url()).await;
    e.pay("250", "cash-1").await;

    assert!(e.plan().await >= 1);
    let m = e.only_message().await;
    assert_eq!(
        (m.channel.as_str(), m.recipient.as_str(), m.status.as_str()),
        ("email", EMAIL, status::CREATED)
    );
    assert_eq!(m.kind, "payment_posted");

    assert_eq!(e.deliver().await, sent(1));
    let m = e.only_message().await;
    assert_eq!(m.status, status::DELIVERED, "{m:#?}");
    assert_eq!(m.attempts, 1);
    assert!(m.delivered_at.is_some() && m.claimed_until.is_none());

    let received = server.received();
    assert_eq!(received.len(), 1, "the SMTP server received exactly one");
    assert_eq!(received[0].rcpt_tos, vec![EMAIL.to_owned()]);
    let (subject, text) = text_of(&received[0]);
    assert!(
        subject.contains("zaksięgowaliśmy Twoją wpłatę"),
        "{subject}"
    );
    let b = e.f.balance().await;
    let owed: Money = b.outstanding + b.interest + b.costs;
    assert!(
        text.contains(&format!("wpłatę {}", fixture::m("250").to_polish())),
        "{text}"
    );
    assert!(
        text.contains(&format!("z dnia {}", polish_date(e.f.today()))),
        "{text}"
    );
    assert!(
        text.contains(&format!("do zapłaty: {}", owed.to_polish())),
        "{text}"
    );
    assert!(
        text.contains(&format!("nadpłata: {}", b.overpayment.to_polish())),
        "{text}"
    );

    // Again, and later: nothing new is planned or sent.
    assert_eq!(e.plan().await, 0);
    assert_eq!(e.deliver().await, Delivered::default());
    e.advance(Duration::days(2));
    assert_eq!(e.plan().await, 0);
    assert_eq!(e.deliver().await, Delivered::default());
    assert_eq!(e.messages().await.len(), 1);
    assert_eq!(e.delivered_count().await, 1);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_worker_that_crashed_after_claiming_leaves_the_message_to_the_next_once_the_lease_ends() {
    let server = SmtpServer::start();
    let e = Engine::email("2026-06-10", &server.url()).await;
    e.pay("100", "cash-crash").await;
    e.plan().await;

    // A worker claims and dies before sending.
    let claimed = deliver::claim(&e.ctx, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    drop(claimed);
    let m = e.only_message().await;
    assert_eq!(m.status, status::SENDING);
    assert_eq!(m.claimed_until, Some(e.now() + LEASE));

    // While the lease holds, nobody else sends it.
    assert_eq!(e.deliver().await, Delivered::default());
    e.advance(LEASE - Duration::seconds(1));
    assert_eq!(e.deliver().await, Delivered::default());
    assert!(server.received().is_empty());

    // The lease ran out: sent, once.
    e.advance(Duration::seconds(2));
    assert_eq!(e.deliver().await, sent(1));
    let m = e.only_message().await;
    assert_eq!(m.status, status::DELIVERED);
    assert_eq!(m.attempts, 2);
    assert_eq!(server.received().len(), 1);

    e.advance(LEASE * 2);
    assert_eq!(e.deliver().await, Delivered::default());
    assert_eq!(e.delivered_count().await, 1);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_relay_outage_is_a_temporary_failure_retried_after_the_backoff() {
    // Nothing listens on this port.
    let dead = format!("smtp://127.0.0.1:{}", free_port());
    let e = Engine::email("2026-06-10", &dead).await;
    e.pay("100", "cash-outage").await;
    e.plan().await;

    assert_eq!(
        e.deliver().await,
        Delivered {
            failed: 1,
            ..Delivered::default()
        }
    );
    let m = e.only_message().await;
    assert_eq!(m.status, status::TEMPORARY_FAILURE, "{m:#?}");
    assert!(m.next_attempt_at > e.now(), "{m:#?}");
    assert!(m.error.is_some() && m.claimed_until.is_none() && m.sent_at.is_none());
    let retry_at = m.next_attempt_at;

    // The relay is back (on another port: the test's server picks its own).
    let server = SmtpServer::start();
    e.env.set("SMTP_URL", &server.url());
    // Not before the backoff.
    assert_eq!(e.deliver().await, Delivered::default());
    assert!(server.received().is_empty());

    e.f.clock.set(retry_at + Duration::seconds(1));
    assert_eq!(e.deliver().await, sent(1));
    let m = e.only_message().await;
    assert_eq!(m.status, status::DELIVERED);
    assert_eq!(m.attempts, 2);
    assert_eq!(server.received().len(), 1);

    e.advance(Duration::hours(1));
    assert_eq!(e.deliver().await, Delivered::default());
    assert_eq!(e.delivered_count().await, 1);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn an_sms_timeout_is_retried_with_the_same_idx_and_the_report_delivers_it() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = MockServer::start().await;
    // The first request outlasts the channel's 15-second timeout; later ones are accepted.
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(accepted("SMS-1"))
                .set_delay(StdDuration::from_secs(17)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sms.do"))
        .respond_with(ResponseTemplate::new(200).set_body_json(accepted("SMS-1")))
        .with_priority(2)
        .mount(&server)
        .await;
    let e = Engine::sms("2026-06-10", &server, (0, 24)).await;
    e.pay("100", "cash-timeout").await;
    e.plan().await;
    let m = e.only_message().await;
    assert_eq!((m.channel.as_str(), m.recipient.as_str()), ("sms", PHONE));

    assert_eq!(
        e.deliver().await,
        Delivered {
            failed: 1,
            ..Delivered::default()
        }
    );
    let m = e.only_message().await;
    assert_eq!(m.status, status::TEMPORARY_FAILURE, "{m:#?}");
    assert!(m.next_attempt_at > e.now());
    assert!(m.provider_id.is_none());

    e.f.clock.set(m.next_attempt_at + Duration::seconds(1));
    assert_eq!(e.deliver().await, sent(1));
    let m = e.only_message().await;
    assert_eq!(m.status, status::SENDING, "{m:#?}");
    assert_eq!(m.provider_id.as_deref(), Some("SMS-1"));
    assert!(m.sent_at.is_some() && m.claimed_until.is_none());
    assert_eq!(m.attempts, 2);

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2, "the timed-out request and its retry");
    let forms: Vec<_> = reqs.iter().map(form_of).collect();
    for form in &forms {
        assert_eq!(form["idx"], m.id.to_string());
        assert_eq!(form["check_idx"], "1");
        assert_eq!(form["to"], "48600100200");
    }

    // Sending, not due: a later round does not send it again.
    e.advance(Duration::hours(1));
    assert_eq!(e.deliver().await, Delivered::default());

    assert!(deliver::report(&e.ctx, "SMS-1", true, None).await.unwrap());
    let m = e.only_message().await;
    assert_eq!(m.status, status::DELIVERED);
    assert!(m.delivered_at.is_some());
    // A repeated report changes nothing.
    assert!(!deliver::report(&e.ctx, "SMS-1", true, None).await.unwrap());

    e.advance(Duration::days(1));
    assert_eq!(e.deliver().await, Delivered::default());
    assert_eq!(e.messages().await.len(), 1);
    assert_eq!(e.delivered_count().await, 1);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn an_invalid_number_is_a_permanent_failure_never_retried() {
    let server = smsapi(json!({"error": 13, "message": "Invalid phone number"})).await;
    let e = Engine::sms("2026-06-10", &server, (0, 24)).await;
    e.pay("100", "cash-bad-number").await;
    e.plan().await;

    assert_eq!(
        e.deliver().await,
        Delivered {
            failed: 1,
            ..Delivered::default()
        }
    );
    let m = e.only_message().await;
    assert_eq!(m.status, status::PERMANENT_FAILURE, "{m:#?}");
    assert!(
        m.error.as_deref().unwrap_or_default().contains("13")
            || m.error.as_deref().unwrap_or_default().contains("number")
    );
    assert_eq!(requests(&server).await.len(), 1);

    for _ in 0..3 {
        e.advance(Duration::days(1));
        assert_eq!(e.deliver().await, Delivered::default());
    }
    assert_eq!(e.only_message().await.status, status::PERMANENT_FAILURE);
    assert_eq!(e.delivered_count().await, 0);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn two_planners_at_once_plan_each_event_exactly_once() {
    let server = SmtpServer::start();
    let e = Engine::email("2026-06-10", &server.url()).await;
    for i in 0..12 {
        e.pay("10", &format!("cash-race-{i}")).await;
    }
    let (a, b) = tokio::join!(plan(&e.notify, &e.ctx), plan(&e.notify, &e.ctx));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 12, "each event planned by one of them: {a} + {b}");
    let messages = e.messages().await;
    assert_eq!(messages.len(), 12, "one e-mail per posted payment");
    let mut events: Vec<_> = messages.iter().map(|m| m.outbox_id).collect();
    events.sort();
    events.dedup();
    assert_eq!(events.len(), 12, "no event has two messages");
    assert_eq!(e.plan().await, 0);
}

#[tokio::test]
async fn without_a_granted_consent_nothing_is_planned() {
    let server = SmtpServer::start();
    let e = Engine::new("2026-06-10").await;
    e.env.set("SMTP_URL", &server.url());

    // An address but no consent at all.
    e.reach(Some(EMAIL), Some(PHONE), &[]).await;
    e.pay("100", "cash-no-consent").await;
    assert!(
        e.plan().await >= 1,
        "the event is planned, with nothing to send"
    );
    assert!(e.messages().await.is_empty());

    // Consent granted, then withdrawn.
    e.reach(Some(EMAIL), Some(PHONE), &[("email", true), ("sms", true)])
        .await;
    e.reach(
        Some(EMAIL),
        Some(PHONE),
        &[("email", false), ("sms", false)],
    )
    .await;
    e.pay("50", "cash-withdrawn").await;
    assert!(e.plan().await >= 1);
    assert!(e.messages().await.is_empty());

    // Nothing is pending: a later plan and delivery do nothing.
    assert_eq!(e.plan().await, 0);
    assert_eq!(e.deliver().await, Delivered::default());
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_sms_in_quiet_hours_waits_until_eight_in_the_morning() {
    let server = smsapi(accepted("SMS-Q")).await;
    let e = Engine::sms("2026-06-10", &server, (8, 21)).await;
    // 23:00 in Warsaw (CEST, UTC+2) on 10 June.
    let late = NaiveDate::from_ymd_opt(2026, 6, 10)
        .unwrap()
        .and_hms_opt(21, 0, 0)
        .unwrap()
        .and_utc();
    let eight = NaiveDate::from_ymd_opt(2026, 6, 11)
        .unwrap()
        .and_hms_opt(6, 0, 0)
        .unwrap()
        .and_utc();
    e.f.clock.set(late);
    e.pay("100", "cash-late").await;
    e.plan().await;

    assert_eq!(
        e.deliver().await,
        Delivered {
            deferred: 1,
            ..Delivered::default()
        }
    );
    let m = e.only_message().await;
    assert_eq!(m.status, status::CREATED, "{m:#?}");
    assert_eq!(m.next_attempt_at, eight);
    assert_eq!(m.attempts, 0);
    assert!(m.claimed_until.is_none());
    assert!(requests(&server).await.is_empty());

    // Still quiet at 7:59.
    e.f.clock.set(eight - Duration::minutes(1));
    assert_eq!(e.deliver().await, Delivered::default());
    assert!(requests(&server).await.is_empty());

    // 8:00: sent, once.
    e.f.clock.set(eight);
    assert_eq!(e.deliver().await, sent(1));
    let m = e.only_message().await;
    assert_eq!(m.status, status::SENDING);
    assert_eq!(m.provider_id.as_deref(), Some("SMS-Q"));
    assert_eq!(requests(&server).await.len(), 1);
    assert!(deliver::report(&e.ctx, "SMS-Q", true, None).await.unwrap());

    e.advance(Duration::hours(2));
    assert_eq!(e.deliver().await, Delivered::default());
    assert_eq!(e.delivered_count().await, 1);
    assert_eq!(requests(&server).await.len(), 1);
}

/// Zamość's tenant file with extra `[notifications]` settings.
fn tenant_with(extra: &str) -> Arc<Tenant> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/zamosc.toml");
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("[notifications]\n", &format!("[notifications]\n{extra}\n"));
    let config = TenantConfig::from_toml(
        "zamosc.toml",
        &text,
        &["finance", "payments", "statements", "notifications"],
    )
    .unwrap();
    Arc::new(Tenant::new(config, TenantStatus::Active))
}

#[tokio::test]
async fn reminders_go_out_the_configured_days_before_once_and_are_logged() {
    use wspolnota_notify::engine::reminders::enqueue_reminders;
    use wspolnota_notify::entity::action;
    let server = SmtpServer::start();
    // Osoba 1's third property-tax installment is due on 15 September: 7 days later.
    let mut e = Engine::email("2026-09-08", &server.url()).await;
    e.ctx = Ctx::new(
        Scope::Tenant(tenant_with("reminder_days_before = [7]")),
        Actor::System,
        RequestId::new(),
        e.f.services(),
    );
    assert_eq!(enqueue_reminders(&e.notify, &e.ctx).await.unwrap(), 1);
    // The same day again: nothing new, nothing logged twice.
    assert_eq!(enqueue_reminders(&e.notify, &e.ctx).await.unwrap(), 0);
    let actions = e.f.all(action::Entity::find()).await;
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(
        (actions[0].form.as_str(), actions[0].actor.as_str()),
        ("reminder", "system")
    );

    assert_eq!(e.plan().await, 1);
    assert_eq!(e.deliver().await, sent(1));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let (subject, text) = text_of(&received[0]);
    assert!(
        subject.contains("przypomnienie o terminie płatności 15.09.2026"),
        "{subject}"
    );
    assert!(text.contains("1 000,00 zł"), "{text}");

    // A kind with its own days follows them, not the tenant's default.
    let other = Engine::email("2026-09-08", &server.url()).await;
    let ctx = Ctx::new(
        Scope::Tenant(tenant_with(
            "reminder_days_before = [7]\nreminder_days_by_kind = { property_tax_person = [3] }",
        )),
        Actor::System,
        RequestId::new(),
        other.f.services(),
    );
    assert_eq!(enqueue_reminders(&other.notify, &ctx).await.unwrap(), 0);
}
