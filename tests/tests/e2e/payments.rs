//! Online payments end to end: a resident pays a demo installment through the sandbox gateway
//! over real HTTP (the sandbox page, its signed notification to the platform, the provider
//! query, the posting) and sees the balance fall by exactly the amount paid; replays and
//! forgeries change nothing; two payments cannot take one installment; the status is pushed
//! over a GraphQL subscription.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wspolnota_e2e::{PASSWORD, StatusCode, TestApp, error_code, grosze, host, resident};

const SLUG: &str = "zamosc";

const ACCOUNT: &str = "query { finance { account {
    balance { outstanding interest costs overpayment }
    obligations(status: OPEN) { installments { id status outstanding interest } } } } }";

const START: &str = "mutation($input: StartPaymentInput!) { payments { start(input: $input) {
    id status amount gateway redirectUrl installments { id principal interest } } } }";

const PAYMENT: &str = "query($id: ID!) { payments { payment(id: $id) {
    id status amount gateway paidAt receiptUrl installments { id } } } }";

/// What the resident owes in total: principal, interest to today, dunning costs.
fn owed(account: &Value) -> i64 {
    let b = &account["finance"]["account"]["balance"];
    grosze(&b["outstanding"]) + grosze(&b["interest"]) + grosze(&b["costs"])
}

fn overdue_installment(account: &Value) -> Value {
    account["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap().clone())
        .find(|i| i["status"] == "OVERDUE")
        .unwrap_or_else(|| panic!("the demo resident has an overdue installment: {account}"))
}

fn sandbox_path(redirect_url: &Value) -> String {
    let url = redirect_url.as_str().unwrap();
    let at = url
        .find("/payments/sandbox/")
        .unwrap_or_else(|| panic!("a sandbox redirect: {url}"));
    url[at..].to_owned()
}

async fn start(app: &TestApp, token: &str, input: Value, key: &str) -> (StatusCode, Value) {
    app.gql_with_headers(
        &host(SLUG),
        START,
        json!({ "input": input }),
        Some(token),
        &[("Idempotency-Key", key)],
    )
    .await
}

async fn decide(app: &TestApp, path: &str, decision: &str) -> (StatusCode, String) {
    app.post_raw(
        &host(SLUG),
        path,
        "application/x-www-form-urlencoded",
        format!("decision={decision}"),
    )
    .await
}

/// Polls the payment until it reaches `status` (the notification is processed in the
/// background); fails with the server's log after a generous deadline.
async fn wait_for_status(app: &TestApp, token: &str, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let data = app
            .gql_ok(&host(SLUG), PAYMENT, json!({ "id": id }), Some(token))
            .await;
        let payment = data["payments"]["payment"].clone();
        if payment["status"] == status {
            return payment;
        }
        assert!(
            Instant::now() < deadline,
            "payment {id} did not become {status}: {payment}\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_sandbox_payment_over_http_lowers_the_balance_by_exactly_its_amount() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let token = app.login(&h, &resident(SLUG), PASSWORD).await.access;

    let before = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let inst = overdue_installment(&before);
    let input = json!({ "installmentIds": [inst["id"]], "gateway": "SANDBOX" });

    let (_, body) = start(&app, &token, input.clone(), "e2e-pay-1").await;
    let payment = body["data"]["payments"]["start"].clone();
    assert_eq!(payment["status"], "STARTED", "{body}");
    assert_eq!(payment["gateway"], "SANDBOX");
    assert_eq!(payment["installments"][0]["id"], inst["id"]);
    // The amount is the principal and the interest up to today, as the account shows them.
    assert_eq!(
        grosze(&payment["amount"]),
        grosze(&inst["outstanding"]) + grosze(&inst["interest"]),
        "{payment} for {inst}"
    );
    let id = payment["id"].as_str().unwrap().to_owned();

    // The same key and request: the same payment. The same key, another request: refused.
    let (_, again) = start(&app, &token, input.clone(), "e2e-pay-1").await;
    assert_eq!(
        again["data"]["payments"]["start"]["id"],
        id.as_str(),
        "{again}"
    );
    let (_, other) = start(
        &app,
        &token,
        json!({ "payAllDue": true, "gateway": "SANDBOX" }),
        "e2e-pay-1",
    )
    .await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");

    // The sandbox page (on the address the server is reached at, port included), then the
    // payer's approval as a form post.
    let redirect = payment["redirectUrl"].as_str().unwrap();
    assert!(
        redirect.starts_with(&format!("http://{SLUG}.localhost:{}/", app.port())),
        "{redirect}"
    );
    let path = sandbox_path(&payment["redirectUrl"]);
    let (status, page) = app.get(&h, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("bramka testowa"), "{page}");
    assert!(page.contains(r#"value="approve""#), "{page}");
    let (status, page) = decide(&app, &path, "approve").await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let paid = wait_for_status(&app, &token, &id, "SUCCEEDED").await;
    assert!(paid["paidAt"].is_string(), "{paid}");

    let after = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    assert_eq!(
        owed(&before) - owed(&after),
        grosze(&payment["amount"]),
        "before {before}\nafter {after}"
    );

    // Back at the municipality's return page, the payer reads the outcome.
    let (status, page) = app.get(&h, &format!("/payments/{id}/return")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Płatność została przyjęta"), "{page}");

    // The receipt, for the payer only.
    let receipt_url = paid["receiptUrl"].as_str().unwrap();
    let resp = app
        .client()
        .get(app.url(receipt_url))
        .header("host", &h)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let receipt = resp.text().await.unwrap();
    assert!(receipt.contains("Potwierdzenie"), "{receipt}");
    let (status, _) = app.get(&h, receipt_url).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mine = app
        .gql_ok(
            &h,
            "query { payments { mine { id status } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert!(
        mine["payments"]["mine"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str() && p["status"] == "SUCCEEDED"),
        "{mine}"
    );
}

fn metric(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[tokio::test]
async fn replayed_and_forged_notifications_change_nothing() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let before = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let inst = overdue_installment(&before);
    let (_, body) = start(
        &app,
        &token,
        json!({ "installmentIds": [inst["id"]], "gateway": "SANDBOX" }),
        "e2e-replay",
    )
    .await;
    let payment = body["data"]["payments"]["start"].clone();
    let id = payment["id"].as_str().unwrap().to_owned();
    let path = sandbox_path(&payment["redirectUrl"]);
    decide(&app, &path, "approve").await;
    wait_for_status(&app, &token, &id, "SUCCEEDED").await;
    let paid = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let history = "query { finance { account { history { date amount } } } }";
    let history_paid = app.gql_ok(&h, history, json!({}), Some(&token)).await;

    // Each repeated approval makes the sandbox send its notification again: the same event,
    // the same signed bytes. 100 replays.
    for _ in 0..100 {
        let (status, _) = decide(&app, &path, "approve").await;
        assert_eq!(status, StatusCode::OK);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, metrics) = app.get(&h, "/metrics").await;
        if metric(&metrics, "payment_notifications_replayed_total") >= 100 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replays not delivered:\n{metrics}\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Forgeries: no signature, a wrong one, and a tampered body.
    let notice = json!({ "eventId": "5f0c6b2e-0000-4000-8000-000000000001", "paymentId": id,
        "decision": "approve", "amount": 1, "decidedAt": "2026-01-01T00:00:00Z" })
    .to_string();
    for signature in [None, Some("00"), Some("deadbeef".repeat(8).as_str())] {
        let mut req = app
            .client()
            .post(app.url("/payments/notify/sandbox"))
            .header("host", &h)
            .header("content-type", "application/json")
            .body(notice.clone());
        if let Some(sig) = signature {
            req = req.header("x-sandbox-signature", sig);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(
        app.logs().contains("payment notification refused"),
        "{}",
        app.logs()
    );

    let after = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    assert_eq!(
        after["finance"]["account"]["balance"],
        paid["finance"]["account"]["balance"]
    );
    let history_after = app.gql_ok(&h, history, json!({}), Some(&token)).await;
    assert_eq!(history_after, history_paid, "the ledger gained entries");
    let still = wait_for_status(&app, &token, &id, "SUCCEEDED").await;
    assert_eq!(still["status"], "SUCCEEDED");
}

#[tokio::test]
async fn two_payments_cannot_take_one_installment() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let account = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let inst = overdue_installment(&account);
    let input = json!({ "installmentIds": [inst["id"]], "gateway": "SANDBOX" });

    // Two browser tabs at once.
    let (a, b) = tokio::join!(
        start(&app, &token, input.clone(), "tab-a"),
        start(&app, &token, input.clone(), "tab-b")
    );
    let results = [a.1, b.1];
    let won: Vec<&Value> = results
        .iter()
        .filter(|r| r["data"]["payments"]["start"]["id"].is_string())
        .collect();
    let lost: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("errors").is_some())
        .collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert_eq!(lost.len(), 1, "{results:?}");
    assert_eq!(error_code(lost[0]), "CONFLICT", "{results:?}");

    // Declined: the installment is free again.
    let first = won[0]["data"]["payments"]["start"].clone();
    let id = first["id"].as_str().unwrap();
    decide(&app, &sandbox_path(&first["redirectUrl"]), "decline").await;
    wait_for_status(&app, &token, id, "FAILED").await;
    let (_, again) = start(&app, &token, input, "tab-c").await;
    assert_eq!(
        again["data"]["payments"]["start"]["status"], "STARTED",
        "{again}"
    );
}

#[tokio::test]
async fn the_payment_status_is_pushed_over_a_subscription() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let account = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let inst = overdue_installment(&account);
    let (_, body) = start(
        &app,
        &token,
        json!({ "installmentIds": [inst["id"]], "gateway": "SANDBOX" }),
        "e2e-subscription",
    )
    .await;
    let payment = body["data"]["payments"]["start"].clone();
    let id = payment["id"].as_str().unwrap().to_owned();

    let mut request = format!("ws://127.0.0.1:{}/graphql/ws", app.port())
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("host", h.parse().unwrap());
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({ "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    ws.send(send(json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { paymentStatus(id: $id) { id status } }",
        "variables": { "id": id } } })))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            let Ok(Message::Text(text)) = msg else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            match v["type"].as_str() {
                Some("next") => {
                    let status = v["payload"]["data"]["paymentStatus"]["status"].clone();
                    assert!(status.is_string(), "{v}");
                    seen.push(status.as_str().unwrap().to_owned());
                    if seen.len() == 1 {
                        // The current status came first; now the payer approves.
                        decide(&app, &sandbox_path(&payment["redirectUrl"]), "approve").await;
                    }
                    if status == "SUCCEEDED" {
                        return;
                    }
                }
                Some("error") => panic!("subscription error: {v}"),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or_else(|_| panic!("no SUCCEEDED pushed; saw {seen:?}\n{}", app.logs()));
    assert_eq!(
        seen.first().map(String::as_str),
        Some("STARTED"),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("SUCCEEDED"),
        "{seen:?}"
    );
}
