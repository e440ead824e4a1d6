//! The resident portal over real HTTP: signing in by form (CSRF checked, session cookies
//! HttpOnly and SameSite=Lax, Secure over https), "Moje należności" against the GraphQL
//! account, a sandbox payment from the portal lowering the balance by exactly its amount,
//! tenant isolation of sessions and data, and the public page and accessibility statement of
//! every tenant.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::mail::mail_to;
use reqwest::header::{CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use wspolnota_e2e::{PASSWORD, SLUGS, StatusCode, TestApp, grosze, host, resident};

const ACCOUNT: &str = "query { finance { account {
    party { name number }
    balance { outstanding interest costs overpayment }
    obligations(status: OPEN) { reference installments { id status outstanding interest } } } } }";

/// A browser for one host: keeps its cookies, does not follow redirects.
struct Browser<'a> {
    app: &'a TestApp,
    host: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp, slug: &str) -> Self {
        Self {
            app,
            host: host(slug),
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header(HOST, &self.host);
        if !self.cookies.is_empty() {
            req = req.header(COOKIE, self.cookie_header());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {}: {e}\n{}", self.host, self.app.logs()));
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(self.app.url(path));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let req = self
            .http
            .post(self.app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// The CSRF token the page's forms carry.
    fn csrf(page: &Page) -> String {
        attr_after(&page.body, r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("a form with a csrf field: {}", page.body))
    }

    /// Signs in through the form; returns the response to the form post.
    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/logowanie").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let csrf = Self::csrf(&form);
        self.post(
            "/logowanie",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// The value of the attribute that starts right after `prefix` (up to the closing quote).
fn attr_after(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The balance the page shows (id="saldo"), in grosze.
fn saldo(html: &str) -> i64 {
    attr_after(html, r#"id="saldo" data-grosze=""#)
        .unwrap_or_else(|| panic!("a balance with id=saldo: {html}"))
        .parse()
        .unwrap()
}

/// What the GraphQL account says is owed today: principal, interest, costs, less overpayment.
fn owed(account: &Value) -> i64 {
    let b = &account["finance"]["account"]["balance"];
    grosze(&b["outstanding"]) + grosze(&b["interest"]) + grosze(&b["costs"])
        - grosze(&b["overpayment"])
}

/// `1 234,50 zł` as the portal writes amounts (non-breaking spaces).
fn pln(grosze: i64) -> String {
    let whole = (grosze / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}\u{a0}zł", grosze % 100)
}

/// Whether the page shows a run of exactly 11 digits (a PESEL), outside ids (UUIDs, wherever
/// they stand: `rata-<uuid>` too) and inline images.
fn shows_eleven_digits(html: &str) -> bool {
    html.split('"')
        .filter(|attr| !attr.starts_with("data:"))
        .map(without_uuids)
        .any(|text| {
            text.split(|c: char| !c.is_ascii_digit())
                .any(|digits| digits.len() == 11)
        })
}

/// The text with every hyphenated UUID in it replaced by a space.
fn without_uuids(text: &str) -> String {
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let window = text.get(i..i + LEN);
        if window.is_some_and(|w| w.as_bytes()[8] == b'-' && uuid::Uuid::parse_str(w).is_ok()) {
            out.push(' ');
            i += LEN;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn eleven_digits_are_found_next_to_ids_but_never_inside_them() {
    let id = "1c9e0f3a-5b2d-4e8f-9a01-23456789012b";
    assert!(!shows_eleven_digits(&format!(
        r#"<input id="rata-{id}" value="{id}">"#
    )));
    assert!(shows_eleven_digits("PESEL 44051401359</td>"));
    assert!(shows_eleven_digits(&format!("rata-{id}44051401359")));
    assert!(!shows_eleven_digits("NRB 61109010140000071219812874"));
    assert!(!shows_eleven_digits("zażółć 1234567890 "));
}

fn installments(account: &Value) -> Vec<Value> {
    account["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap().clone())
        .filter(|i| grosze(&i["outstanding"]) > 0)
        .collect()
}

#[tokio::test]
async fn signing_in_by_form_needs_the_csrf_token_and_sets_a_locked_down_session() {
    let app = TestApp::spawn().await;
    let slug = "zamosc";
    let mut browser = Browser::new(&app, slug);

    // First visit: a CSRF cookie, HttpOnly and SameSite=Lax, and the same token in the form.
    let form = browser.get("/logowanie").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"<html lang="pl">"#), "{}", form.body);
    let csrf_cookie = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("wsp_csrf="))
        .unwrap_or_else(|| panic!("a CSRF cookie: {:?}", form.set_cookies));
    assert!(csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let csrf = Browser::csrf(&form);
    assert_eq!(browser.cookies["wsp_csrf"], csrf);

    // No token, or a wrong one: refused before the password is looked at.
    let email = resident(slug);
    for fields in [
        vec![("email", email.as_str()), ("password", PASSWORD)],
        vec![
            ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ],
    ] {
        let refused = browser.post("/logowanie", &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(
            !refused.set_cookies.iter().any(|c| c.starts_with("wsp_at=")),
            "{:?}",
            refused.set_cookies
        );
    }
    // A form posted from another site is refused even with the right token.
    let req = browser
        .http
        .post(app.url("/logowanie"))
        .header("origin", "http://evil.example")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&email={}&password={PASSWORD}",
            email.replace('@', "%40")
        ));
    let cross_site = browser.send(req).await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);

    // A wrong password: the form again, with the error announced.
    let wrong = browser
        .post(
            "/logowanie",
            &[
                ("csrf", &csrf),
                ("email", &email),
                ("password", "nie-to-haslo-123"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains(r#"role="alert""#), "{}", wrong.body);
    assert!(wrong.body.contains("Nieprawidłowy adres e-mail lub hasło"));

    // The right one: 303 to "Moje należności" with the session in locked-down cookies.
    let signed_in = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location.as_deref(), Some("/naleznosci"));
    for name in ["wsp_at=", "wsp_rt="] {
        let c = signed_in
            .set_cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {:?}", signed_in.set_cookies));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        // Served over plain http here: Secure would stop the browser sending it back.
        assert!(!c.contains("Secure"), "{c}");
    }
    // Signing in issues a new form token.
    assert_ne!(browser.cookies["wsp_csrf"], csrf);
    let page = browser.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Moje należności"));

    // The session cookie does not authorise GraphQL: it stays bearer-only.
    let req = browser
        .http
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "query": "{ me { email } }" }).to_string());
    let gql = browser.send(req).await;
    assert!(!gql.body.contains(&email), "{}", gql.body);
    assert!(gql.body.contains("UNAUTHENTICATED"), "{}", gql.body);

    // Signing out (a form, so with the token) ends the session.
    let csrf = Browser::csrf(&page);
    let out = browser.post("/wyloguj", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        !browser.cookies.contains_key("wsp_at"),
        "{:?}",
        out.set_cookies
    );
    let after = browser.get("/naleznosci").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/logowanie"));
}

#[tokio::test]
async fn over_https_the_session_cookies_are_secure() {
    let app = TestApp::spawn_with(|o| {
        o.env("WSPOLNOTA_PUBLIC_SCHEME", "https");
    })
    .await;
    let mut browser = Browser::new(&app, "kurow");
    let signed_in = browser.sign_in(&resident("kurow"), PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    for name in ["wsp_at=", "wsp_rt=", "wsp_csrf="] {
        let c = signed_in
            .set_cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {:?}", signed_in.set_cookies));
        assert!(c.contains("; Secure"), "{c}");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    }
}

#[tokio::test]
async fn the_obligations_page_shows_every_open_installment_with_its_amounts() {
    let app = TestApp::spawn().await;
    let slug = "zamosc";
    let token = app
        .login(&host(slug), &resident(slug), PASSWORD)
        .await
        .access;
    let account = app
        .gql_ok(&host(slug), ACCOUNT, json!({}), Some(&token))
        .await;
    let open = installments(&account);
    assert!(
        !open.is_empty(),
        "the demo resident owes something: {account}"
    );

    let mut browser = Browser::new(&app, slug);
    browser.sign_in(&resident(slug), PASSWORD).await;
    let page = browser.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<caption>"), "a captioned table");
    for inst in &open {
        let id = inst["id"].as_str().unwrap();
        assert!(
            page.body.contains(&format!(
                r#"<input type="checkbox" id="rata-{id}" name="installment" value="{id}">"#
            )),
            "installment {id} has its checkbox: {}",
            page.body
        );
        assert!(
            page.body.contains(&format!(r#"<label for="rata-{id}">"#)),
            "and its label"
        );
        let outstanding = grosze(&inst["outstanding"]);
        let interest = grosze(&inst["interest"]);
        for amount in [outstanding, interest, outstanding + interest] {
            assert!(
                page.body.contains(&pln(amount)),
                "{} on the page",
                pln(amount)
            );
        }
    }
    assert_eq!(saldo(&page.body), owed(&account), "{}", page.body);
    // Each decision's number, to quote in a transfer's title.
    for obligation in account["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
    {
        let reference = obligation["reference"].as_str().unwrap();
        assert!(
            page.body
                .contains(&format!("<small>decyzja nr {reference}</small>")),
            "{reference} on the page"
        );
    }
    // The tenant's gateways, and both ways to pay.
    for needle in [
        r#"name="gateway" value="sandbox""#,
        r#"name="gateway" value="transfer""#,
        r#"name="action" value="pay_selected""#,
        r#"name="action" value="pay_all_due""#,
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    // No PESEL on any page of the account.
    for path in ["/naleznosci", "/historia", "/przelew", "/powiadomienia"] {
        let p = browser.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        assert!(
            !shows_eleven_digits(&p.body),
            "{path} shows an 11-digit number"
        );
    }
    let history = browser.get("/historia").await;
    assert_eq!(saldo(&history.body), owed(&account));

    // An error page keeps the signed-in resident's menu.
    let missing = browser
        .get("/platnosci/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert!(
        missing.body.contains("Wyloguj") && !missing.body.contains(r#"href="/logowanie""#),
        "the error page shows the signed-in menu: {}",
        missing.body
    );
}

#[tokio::test]
async fn paying_through_the_sandbox_lowers_the_balance_by_exactly_the_amount() {
    let app = TestApp::spawn().await;
    let slug = "zamosc";
    let h = host(slug);
    let token = app.login(&h, &resident(slug), PASSWORD).await.access;
    let before = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    let inst = installments(&before)
        .into_iter()
        .find(|i| i["status"] == "OVERDUE")
        .unwrap_or_else(|| panic!("an overdue demo installment: {before}"));
    let inst_id = inst["id"].as_str().unwrap().to_owned();

    let mut browser = Browser::new(&app, slug);
    browser.sign_in(&resident(slug), PASSWORD).await;
    let page = browser.get("/naleznosci").await;
    let saldo_before = saldo(&page.body);
    assert_eq!(saldo_before, owed(&before));
    let csrf = Browser::csrf(&page);

    // Without the form token the payment is not started.
    let forged = browser
        .post(
            "/platnosci",
            &[
                ("installment", &inst_id),
                ("gateway", "sandbox"),
                ("action", "pay_selected"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let started = browser
        .post(
            "/platnosci",
            &[
                ("csrf", &csrf),
                ("idempotency", "portal-e2e-1"),
                ("installment", &inst_id),
                ("gateway", "sandbox"),
                ("action", "pay_selected"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let location = started.location.unwrap();
    let at = location
        .find("/payments/sandbox/")
        .unwrap_or_else(|| panic!("a sandbox redirect: {location}"));
    let sandbox_path = location[at..].to_owned();
    let payment_id = sandbox_path
        .trim_start_matches("/payments/sandbox/")
        .to_owned();

    let sandbox = browser.get(&sandbox_path).await;
    assert_eq!(sandbox.status, StatusCode::OK, "{}", sandbox.body);
    let decided = browser
        .post(&sandbox_path, &[("decision", "approve")])
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);

    // The status the result page's script polls, until the notification is processed.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = browser
            .get(&format!("/platnosci/{payment_id}/status"))
            .await;
        assert_eq!(status.status, StatusCode::OK, "{}", status.body);
        let body: Value = serde_json::from_str(&status.body).unwrap();
        if body["status"] == "succeeded" {
            assert_eq!(body["final"], true);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "payment {payment_id} did not succeed: {body}\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let paid = app
        .gql_ok(
            &h,
            "query($id: ID!) { payments { payment(id: $id) { amount status } } }",
            json!({ "id": payment_id }),
            Some(&token),
        )
        .await;
    let amount = grosze(&paid["payments"]["payment"]["amount"]);
    assert_eq!(
        amount,
        grosze(&inst["outstanding"]) + grosze(&inst["interest"]),
        "{paid}"
    );

    let result = browser.get(&format!("/platnosci/{payment_id}")).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert!(
        result
            .body
            .contains(r#"id="status-platnosci" role="status" aria-live="polite""#),
        "{}",
        result.body
    );
    assert!(result.body.contains("Płatność przyjęta"), "{}", result.body);
    assert!(
        result
            .body
            .contains(&format!(r#"href="/payments/{payment_id}/receipt""#))
    );
    assert_eq!(
        saldo(&result.body),
        saldo_before - amount,
        "{}",
        result.body
    );
    let after = app.gql_ok(&h, ACCOUNT, json!({}), Some(&token)).await;
    assert_eq!(owed(&after), saldo_before - amount);

    // The receipt opens with the session cookie.
    let receipt = browser
        .get(&format!("/payments/{payment_id}/receipt"))
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    assert!(receipt.body.contains("Potwierdzenie"), "{}", receipt.body);

    // Back from the gateway without a session: sign in, then the same result page.
    let mut fresh = Browser::new(&app, slug);
    let result_path = format!("/platnosci/{payment_id}");
    let bounced = fresh.get(&result_path).await;
    assert_eq!(bounced.status, StatusCode::SEE_OTHER);
    let login_path = bounced.location.unwrap();
    assert_eq!(
        login_path,
        format!("/logowanie?next=%2Fplatnosci%2F{payment_id}")
    );
    let form = fresh.get(&login_path).await;
    assert!(
        form.body
            .contains(&format!(r#"name="next" value="{result_path}""#))
    );
    let csrf = Browser::csrf(&form);
    let email = resident(slug);
    let signed_in = fresh
        .post(
            "/logowanie",
            &[
                ("csrf", &csrf),
                ("next", &result_path),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some(result_path.as_str()));
    // Never to another site.
    let mut other = Browser::new(&app, slug);
    let form = other.get("/logowanie").await;
    let csrf = Browser::csrf(&form);
    let signed_in = other
        .post(
            "/logowanie",
            &[
                ("csrf", &csrf),
                ("next", "//evil.example/"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/naleznosci"));
}

#[tokio::test]
async fn a_session_of_one_tenant_is_useless_on_another_and_data_never_crosses() {
    let app = TestApp::spawn().await;
    let zamosc_token = app
        .login(&host("zamosc"), &resident("zamosc"), PASSWORD)
        .await
        .access;
    let zamosc = app
        .gql_ok(&host("zamosc"), ACCOUNT, json!({}), Some(&zamosc_token))
        .await;
    let zamosc_party = zamosc["finance"]["account"]["party"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let zamosc_ids: Vec<String> = installments(&zamosc)
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();

    let mut z = Browser::new(&app, "zamosc");
    z.sign_in(&resident("zamosc"), PASSWORD).await;
    assert_eq!(z.get("/naleznosci").await.status, StatusCode::OK);

    // zamosc's cookies presented on kurow's host: not signed in there.
    let mut stolen = Browser::new(&app, "kurow");
    stolen.cookies = z.cookies.clone();
    let page = stolen.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/logowanie"));
    let status = stolen
        .get(&format!("/platnosci/{}/status", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status.status, StatusCode::UNAUTHORIZED);

    // kurow's resident sees kurow's party only.
    let mut k = Browser::new(&app, "kurow");
    k.sign_in(&resident("kurow"), PASSWORD).await;
    for path in [
        "/",
        "/naleznosci",
        "/historia",
        "/przelew",
        "/powiadomienia",
        "/powiaz",
    ] {
        let p = k.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        assert!(
            !p.body.contains(&zamosc_party),
            "{path} shows {zamosc_party}"
        );
        assert!(!p.body.contains("Zamość"), "{path} mentions Zamość");
        for id in &zamosc_ids {
            assert!(
                !p.body.contains(id.as_str()),
                "{path} shows zamosc's installment"
            );
        }
    }
    // Nor can kurow's resident pay or act for a zamosc installment or party.
    let page = k.get("/naleznosci").await;
    let csrf = Browser::csrf(&page);
    let refused = k
        .post(
            "/platnosci",
            &[
                ("csrf", &csrf),
                ("installment", &zamosc_ids[0]),
                ("gateway", "sandbox"),
                ("action", "pay_selected"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"role="alert""#));
}

#[tokio::test]
async fn every_tenant_has_a_public_page_and_an_accessibility_statement() {
    let app = TestApp::spawn().await;
    for slug in SLUGS {
        let mut b = Browser::new(&app, slug);
        let config: toml::Table = toml::from_str(
            &std::fs::read_to_string(
                wspolnota_e2e::repo_root().join(format!("tenants/{slug}.toml")),
            )
            .unwrap(),
        )
        .unwrap();
        let name = config["name"].as_str().unwrap();

        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{slug}: {}", home.body);
        for needle in [
            r#"<html lang="pl">"#,
            "<header",
            "<nav",
            "<main",
            "<footer",
            name,
            &format!(r#"alt="Herb: {name}"#),
            r#"href="/deklaracja-dostepnosci""#,
            "Podatki i opłaty lokalne",
            "Kontakt",
        ] {
            assert!(
                home.body.contains(needle),
                "{slug}: `{needle}` on the home page"
            );
        }
        assert!(
            !home.body.contains(r#"href="/naleznosci""#),
            "{slug}: signed out"
        );

        let statement = b.get("/deklaracja-dostepnosci").await;
        assert_eq!(statement.status, StatusCode::OK, "{slug}");
        for needle in [
            "Deklaracja dostępności",
            &format!(r#"<span id="a11y-podmiot">{name}</span>"#),
            r#"id="a11y-data-publikacja">2026-11-27<"#,
            r#"id="a11y-data-aktualizacja""#,
            r#"id="a11y-status""#,
            "Treści niedostępne",
            "Przygotowanie deklaracji dostępności",
            "Informacje zwrotne i dane kontaktowe",
            &format!("dostepnosc@{slug}.test"),
            "Procedura wnioskowo-skargowa",
            "Dostępność architektoniczna",
        ] {
            assert!(
                statement.body.contains(needle),
                "{slug}: `{needle}` in the statement"
            );
        }

        let herb = b.get("/herb.svg").await;
        assert_eq!(herb.status, StatusCode::OK);
        assert!(herb.body.starts_with("<svg"), "{slug}");

        // Signed in, the home page links to the resident's obligations.
        b.sign_in(&resident(slug), PASSWORD).await;
        let home = b.get("/").await;
        assert!(home.body.contains(r#"href="/naleznosci""#), "{slug}");
    }
}

/// The path and query of the portal link to `path` in a mail (on the tenant's own host).
fn link_in(text: &str, host: &str, path: &str) -> String {
    let prefix = format!("http://{host}{path}?token=");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link {prefix}… in:\n{text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.trim_start_matches(&format!("http://{host}"))
        .to_owned()
}

#[tokio::test]
async fn registration_is_confirmed_and_a_password_reset_by_the_emailed_links() {
    let smtp = crate::smtp::SmtpServer::start();
    let app = TestApp::spawn_with(|o| {
        o.env("SMTP_URL", smtp.url());
    })
    .await;
    let slug = "baranow";
    let mut b = Browser::new(&app, slug);
    let email = "anna.portalowa@example.test";
    let first = "Jesienne-liscie-2026";

    // Registration by form: mismatched passwords are refused with the field named.
    let form = b.get("/rejestracja").await;
    let csrf = Browser::csrf(&form);
    let register = |confirm: &'static str| {
        let csrf = csrf.clone();
        move |b: &mut Browser<'_>| {
            let fields = [
                ("csrf", csrf.as_str()),
                ("display_name", "Anna Portalowa"),
                ("email", email),
                ("password", first),
                ("password_confirm", confirm),
            ];
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            b.http
                .post(b.app.url("/rejestracja"))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
        }
    };
    let req = register("Inne-haslo-2026!")(&mut b);
    let refused = b.send(req).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains(r#"role="alert""#));
    assert!(
        refused.body.contains("Hasła nie są takie same"),
        "{}",
        refused.body
    );

    let req = register(first)(&mut b);
    let registered = b.send(req).await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    assert!(
        registered.body.contains("Konto zostało założone"),
        "{}",
        registered.body
    );

    // The confirmation link from the e-mail, opened in the browser.
    let text = mail_to(&app, &smtp, email, "potwierdź swój adres").await;
    // Opening it (as a mail filter's link check does too) confirms nothing yet: the page asks
    // for a press of its button, which posts the token.
    let verify = link_in(&text, &host(slug), "/weryfikacja");
    let opened = b.get(&verify).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(
        !opened.body.contains("Adres e-mail potwierdzony"),
        "{}",
        opened.body
    );
    let opened_again = b.get(&verify).await;
    assert_eq!(opened_again.status, StatusCode::OK, "{}", opened_again.body);
    let token = attr_after(&opened_again.body, r#"name="token" value=""#)
        .unwrap_or_else(|| panic!("the page carries the token: {}", opened_again.body));
    let press = [("csrf", Browser::csrf(&opened_again)), ("token", token)];
    let press: Vec<(&str, &str)> = press.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let confirmed = b.post("/weryfikacja", &press).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(
        confirmed.body.contains("Adres e-mail potwierdzony"),
        "{}",
        confirmed.body
    );
    // A link works once.
    let again = b.post("/weryfikacja", &press).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );

    // Forgotten password: the same answer for an unknown address.
    let form = b.get("/reset-hasla").await;
    let csrf = Browser::csrf(&form);
    let unknown = b
        .post(
            "/reset-hasla",
            &[("csrf", &csrf), ("email", "nikt@example.test")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    let asked = b
        .post("/reset-hasla", &[("csrf", &csrf), ("email", email)])
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let strip = |html: &str| html.replace("nikt@example.test", "").replace(email, "");
    assert_eq!(
        strip(&unknown.body),
        strip(&asked.body),
        "the answers differ"
    );

    let text = mail_to(&app, &smtp, email, "ustaw nowe hasło").await;
    let reset = link_in(&text, &host(slug), "/reset-hasla/nowe");
    let page = b.get(&reset).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = attr_after(&page.body, r#"name="token" value=""#).unwrap();
    let csrf = Browser::csrf(&page);
    let second = "Zimowe-sniegi-2027";
    let weak = b
        .post(
            "/reset-hasla/nowe",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "krotkie"),
                ("password_confirm", "krotkie"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("co najmniej"), "{}", weak.body);
    let done = b
        .post(
            "/reset-hasla/nowe",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", second),
                ("password_confirm", second),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("hasło zostało zmienione"),
        "{}",
        done.body
    );

    // The old password no longer signs in; the new one does.
    let old = b.sign_in(email, first).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = b.sign_in(email, second).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER, "{}", new.body);
    let page = b.get("/naleznosci").await;
    assert!(
        page.body.contains(r#"href="/powiaz""#),
        "a new account links a party first"
    );
}

#[tokio::test]
async fn a_party_is_linked_by_access_code_chosen_in_the_header_and_its_consents_recorded() {
    let app = TestApp::spawn().await;
    let slug = "zamosc";
    let h = host(slug);
    let admin = app
        .login(&h, &wspolnota_e2e::admin(slug), PASSWORD)
        .await
        .access;
    let created = app
        .gql_ok(
            &h,
            "mutation { finance { createParty(input: {kind: ORGANISATION, \
             name: \"Piekarnia Pod Arkadami\", nip: \"7123456787\"}) { id number } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let firm_id = created["finance"]["createParty"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let firm_number = created["finance"]["createParty"]["number"].to_string();
    let code = app
        .gql_ok(
            &h,
            "mutation($p: ID!) { finance { issueAccessCode(partyId: $p) } }",
            json!({ "p": firm_id }),
            Some(&admin),
        )
        .await["finance"]["issueAccessCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.login(&h, &resident(slug), PASSWORD).await.access;
    let own = app
        .gql_ok(
            &h,
            "{ finance { myParties { id name } } }",
            json!({}),
            Some(&token),
        )
        .await["finance"]["myParties"][0]
        .clone();
    let own_id = own["id"].as_str().unwrap().to_owned();

    let mut b = Browser::new(&app, slug);
    b.sign_in(&resident(slug), PASSWORD).await;
    let form = b.get("/powiaz").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = Browser::csrf(&form);
    // A header without a selector while the account acts for one party.
    assert!(!form.body.contains(r#"name="party_id""#));

    let wrong = b
        .post(
            "/powiaz",
            &[
                ("csrf", &csrf),
                ("party_number", &firm_number),
                ("access_code", "ZLY-KOD-123"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains(r#"role="alert""#));
    let linked = b
        .post(
            "/powiaz",
            &[
                ("csrf", &csrf),
                ("party_number", &firm_number),
                ("access_code", &code),
            ],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    assert_eq!(linked.location.as_deref(), Some("/naleznosci"));

    // The new party is the active one; the header offers both.
    let page = b.get("/naleznosci").await;
    assert!(
        page.body.contains("Piekarnia Pod Arkadami"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<select id="party-select" name="party_id">"#)
    );
    assert!(
        page.body
            .contains(&format!(r#"value="{firm_id}" selected"#))
    );
    assert!(page.body.contains(&format!(r#"value="{own_id}""#)));
    assert!(
        page.body.contains("Nie masz należności do zapłaty"),
        "{}",
        page.body
    );

    // Switching back, and refusing a party that is not the account's.
    let csrf = Browser::csrf(&page);
    let switched = b
        .post("/podmiot", &[("csrf", &csrf), ("party_id", &own_id)])
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let page = b.get("/naleznosci").await;
    assert!(page.body.contains(&format!(r#"value="{own_id}" selected"#)));
    assert!(page.body.contains(r#"name="installment""#));
    let foreign = uuid::Uuid::new_v4().to_string();
    let refused = b
        .post("/podmiot", &[("csrf", &csrf), ("party_id", &foreign)])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // A forged party cookie is ignored: the account's own party is shown.
    b.cookies.insert("wsp_party".into(), foreign);
    let page = b.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(r#"value="{own_id}" selected"#)));

    // Consents: given, then one withdrawn; each recorded with its date and source.
    let form = b.get("/powiadomienia").await;
    let csrf = Browser::csrf(&form);
    // Only a change is recorded (the demo register may have an e-mail consent already).
    let email_before = form
        .body
        .contains(r#"name="consent" value="email" checked"#);
    let sms_before = form.body.contains(r#"name="consent" value="sms" checked"#);
    assert!(!sms_before, "the demo resident has no SMS consent yet");
    let saved = b
        .post(
            "/powiadomienia",
            &[("csrf", &csrf), ("consent", "email"), ("consent", "sms")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = b.get(saved.location.as_deref().unwrap()).await;
    assert!(
        page.body
            .contains(r#"name="consent" value="email" checked"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"name="consent" value="sms" checked"#));
    assert!(
        !page
            .body
            .contains(r#"name="consent" value="voice" checked"#)
    );
    assert!(page.body.contains("Zgoda udzielona"));
    assert!(page.body.contains("źródło: portal e-usług"));
    b.post("/powiadomienia", &[("csrf", &csrf), ("consent", "email")])
        .await;
    let page = b.get("/powiadomienia").await;
    assert!(!page.body.contains(r#"name="consent" value="sms" checked"#));
    assert!(page.body.contains("Zgoda wycofana"));
    let consents: Vec<_> = app
        .audit_log(slug)
        .await
        .into_iter()
        .filter(|e| e.action == "notify.consent")
        .collect();
    let expected = if email_before { 2 } else { 3 };
    assert_eq!(consents.len(), expected, "{consents:?}");
    let sms: Vec<&str> = consents
        .iter()
        .filter(|e| e.detail.contains(r#""channel":"sms""#))
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms[0].contains(r#""granted":true"#) && sms[1].contains(r#""granted":false"#));
    assert!(consents.iter().all(|e| e.detail.contains(&own_id)));
}

#[tokio::test]
async fn the_identity_provider_button_signs_the_browser_in_to_the_portal() {
    use wspolnota_e2e::idp::{IdpConfig, TestIdp};
    const PESEL: &str = "02070803628";
    let idp = TestIdp::start(IdpConfig {
        client_id: "wspolnota-zamosc".into(),
        client_secret: None,
        redirect_uri: "http://unset.invalid/".into(),
        pesel_claim: Some("pesel".into()),
        ..IdpConfig::default()
    })
    .await;
    let zamosc_toml =
        std::fs::read_to_string(wspolnota_e2e::repo_root().join("tenants/zamosc.toml")).unwrap();
    let with_idp = format!(
        "{zamosc_toml}\n[identity_provider]\nauthorization_url = \"{0}/authorize\"\n\
         token_url = \"{0}/token\"\nuserinfo_url = \"{0}/userinfo\"\n\
         client_id = \"wspolnota-zamosc\"\nlabel = \"login.gov.pl\"\n",
        idp.base_url
    );
    let app = TestApp::spawn_with(|o| {
        o.fresh().tenant_file("zamosc.toml", with_idp.clone());
    })
    .await;
    let zamosc = host("zamosc");
    let admin = app
        .login(&zamosc, &wspolnota_e2e::admin("zamosc"), PASSWORD)
        .await
        .access;
    app.gql_ok(
        &zamosc,
        "mutation($p: String!) { finance { createParty(input: {kind: PERSON, \
         name: \"Jan Kowalski\", pesel: $p}) { id } } }",
        json!({ "p": PESEL }),
        Some(&admin),
    )
    .await;

    // The browser reaches the portal as `zamosc.localhost:<port>`.
    let mut b = Browser::new(&app, "zamosc");
    b.host = format!("{zamosc}:{}", app.port());
    idp.set_redirect_uri(&format!("http://{}/auth/oidc/callback", b.host));
    let login = b.get("/logowanie").await;
    assert!(
        login.body.contains(
            r#"<a class="button secondary" href="/auth/oidc/login">Zaloguj przez login.gov.pl</a>"#
        ),
        "{}",
        login.body
    );
    let start = b.get("/auth/oidc/login").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let authorize = start.location.unwrap();
    let back = b.http.get(&authorize).send().await.unwrap();
    let callback = url::Url::parse(
        back.headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap(),
    )
    .unwrap();
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    // A browser navigation: the session goes into cookies and the portal opens.
    let req = b
        .http
        .get(app.url(&path))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
    let done = b.send(req).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/naleznosci"));
    assert!(!done.body.contains("accessToken"), "no tokens in the page");
    let c = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("wsp_at="))
        .unwrap_or_else(|| panic!("a session cookie: {:?}", done.set_cookies));
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");

    let page = b.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Jan Kowalski"),
        "the verified PESEL linked the party"
    );
    assert!(!page.body.contains(PESEL));
    assert!(
        !app.logs().contains(PESEL),
        "the PESEL reached the server log"
    );
}

#[tokio::test]
async fn paying_by_transfer_shows_the_virtual_account_and_its_qr_code() {
    let app = TestApp::spawn().await;
    let slug = "kurow";
    let h = host(slug);
    let token = app.login(&h, &resident(slug), PASSWORD).await.access;
    let account = app
        .gql_ok(
            &h,
            "{ finance { account { virtualAccounts { kind nrb } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let nrbs: Vec<String> = account["finance"]["account"]["virtualAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["nrb"].as_str().unwrap().to_owned())
        .collect();
    assert!(!nrbs.is_empty(), "{account}");
    // `12 3456 …`: the NRB in the groups people copy it in.
    let grouped = |nrb: &str| {
        let (head, rest) = nrb.split_at(2);
        let groups: Vec<String> = rest
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        format!("{head} {}", groups.join(" "))
    };

    let mut b = Browser::new(&app, slug);
    b.sign_in(&resident(slug), PASSWORD).await;
    let page = b.get("/przelew").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        nrbs.iter().any(|n| page.body.contains(&grouped(n))),
        "one of {nrbs:?}, grouped, on {}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<img src="data:image/svg+xml;base64,"#)
    );
    assert!(page.body.contains(r#"alt="Kod QR przelewu: odbiorca"#));

    // "Pay everything due" by transfer: the details of this payment, nothing locked.
    let obligations = b.get("/naleznosci").await;
    let csrf = Browser::csrf(&obligations);
    let started = b
        .post(
            "/platnosci",
            &[
                ("csrf", &csrf),
                ("gateway", "transfer"),
                ("action", "pay_all_due"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert!(started.body.contains("Tytuł przelewu"), "{}", started.body);
    assert!(nrbs.iter().any(|n| started.body.contains(&grouped(n))));
    let id = attr_after(&started.body, r#"<a href="/platnosci/"#).unwrap();
    let status = b.get(&format!("/platnosci/{id}")).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert!(
        status.body.contains("Czekamy na wpływ przelewu"),
        "{}",
        status.body
    );
    assert!(
        !status.body.contains("platnosc.js"),
        "no live polling for a transfer"
    );
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_once_even_by_simultaneous_requests() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app, "zamosc");
    b.sign_in(&resident("zamosc"), PASSWORD).await;
    let old_refresh = b.cookies["wsp_rt"].clone();
    // Without a valid access token (expired, or gone as here) the refresh token renews the
    // session; the page and its status poll may arrive together with the same token.
    b.cookies
        .insert("wsp_at".into(), "expired.or.forged".into());
    let cookie = b.cookie_header();
    let request = || {
        b.http
            .get(app.url("/naleznosci"))
            .header(HOST, host("zamosc"))
            .header(COOKIE, cookie.clone())
            .send()
    };
    let (first, second) = tokio::join!(request(), request());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let renewed = |r: &reqwest::Response| -> BTreeMap<String, String> {
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let (a, c) = (renewed(&first), renewed(&second));
    assert!(
        a.contains_key("wsp_at") && a.contains_key("wsp_rt"),
        "{a:?}"
    );
    // Both got the one new pair: the refresh token was spent once, the session lives on.
    assert_eq!(a.get("wsp_rt"), c.get("wsp_rt"));
    assert_ne!(a.get("wsp_rt"), Some(&old_refresh));
    b.cookies.insert("wsp_at".into(), a["wsp_at"].clone());
    b.cookies.insert("wsp_rt".into(), a["wsp_rt"].clone());
    let page = b.get("/historia").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.set_cookies.is_empty(), "{:?}", page.set_cookies);

    // A forged refresh token signs nobody in, and the cookies are cleared.
    let mut forged = Browser::new(&app, "zamosc");
    forged
        .cookies
        .insert("wsp_rt".into(), "forged-refresh-token".into());
    let page = forged.get("/naleznosci").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.set_cookies.iter().any(|c| c.starts_with("wsp_rt=;")),
        "{:?}",
        page.set_cookies
    );
}
