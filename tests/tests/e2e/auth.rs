//! Registration, sign-in, sessions.

use crate::mail::mail_to;
use serde_json::Value;
use wspolnota_e2e::{PASSWORD, StatusCode, TestApp, error_code, host, resident};

const GOOD_PASSWORD: &str = "Zielona-Brama-2026";

#[tokio::test]
async fn refresh_rotation_and_reuse_detection() {
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");
    let first = app.login(&zamosc, &resident("zamosc"), PASSWORD).await;

    // The first refresh token works once and is replaced.
    let second = app.try_refresh(&zamosc, &first.refresh).await.unwrap();
    assert_ne!(second.refresh, first.refresh);
    let (status, body) = app.me(&zamosc, &second.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["email"], resident("zamosc"));

    // A rotated token can be rotated again, as long as each is used once.
    let third = app.try_refresh(&zamosc, &second.refresh).await.unwrap();

    // Replaying the first (used) token fails…
    let err = app.try_refresh(&zamosc, &first.refresh).await.unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    // …and ends the whole session: the newest token, never used, is dead too.
    let err = app.try_refresh(&zamosc, &third.refresh).await.unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );

    // Its access token stops working at once, not when it expires.
    let (status, body) = app.me(&zamosc, &third.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Another session of the same account is not affected.
    let other = app.login(&zamosc, &resident("zamosc"), PASSWORD).await;
    app.try_refresh(&zamosc, &other.refresh).await.unwrap();
    let (status, body) = app.me(&zamosc, &other.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A made-up refresh token is refused.
    let err = app
        .try_refresh(&zamosc, "definitely-not-a-refresh-token")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");
    let kept = app.login(&zamosc, &resident("zamosc"), PASSWORD).await;
    let ended = app.login(&zamosc, &resident("zamosc"), PASSWORD).await;
    // A rotation first, so that the session has more than one refresh token.
    let rotated = app.try_refresh(&zamosc, &ended.refresh).await.unwrap();

    // Without a token there is no session to end.
    let err = app
        .gql_err(&zamosc, "mutation { auth { logout } }", Value::Null, None)
        .await;
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );

    let data = app
        .gql_ok(
            &zamosc,
            "mutation { auth { logout } }",
            Value::Null,
            Some(&rotated.access),
        )
        .await;
    assert_eq!(data["auth"]["logout"], true);

    let err = app
        .try_refresh(&zamosc, &rotated.refresh)
        .await
        .unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    // The session's earlier (used) token does not come back to life either.
    let err = app.try_refresh(&zamosc, &ended.refresh).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
    // Its access token is refused at once, though it has not expired.
    let (status, body) = app.me(&zamosc, &rotated.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Only that session ended: the other one still works and refreshes.
    let (status, body) = app.me(&zamosc, &kept.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.try_refresh(&zamosc, &kept.refresh).await.unwrap();
}

#[tokio::test]
async fn password_policy_and_lockout() {
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");
    let email = "jan.kowalski@example.test";
    let name = "Jan Kowalski";

    let refused = [
        ("Krotkie-1", "too short"),
        ("jan.kowalski-2026!", "contains the e-mail's local part"),
        ("Zielony-KOWALSKI-9", "contains a word of the name"),
        ("qwertyuiop123", "a common password"),
        ("aaaaaaaaaaaaaaaa", "one repeated character"),
    ];
    for (password, why) in refused {
        let err = app
            .try_register(&zamosc, email, password, name)
            .await
            .expect_err(why);
        assert_eq!(
            err.code.as_deref(),
            Some("VALIDATION"),
            "{why}: {:?}",
            err.body
        );
        assert_eq!(
            err.field.as_deref(),
            Some("password"),
            "{why}: {:?}",
            err.body
        );
    }
    // Nothing was created by the refused attempts: the e-mail is still free.
    app.register(&zamosc, email, GOOD_PASSWORD, name).await;
    // The same e-mail on another tenant: a separate account, with its own lock.
    app.register(&host("kurow"), email, GOOD_PASSWORD, name)
        .await;

    // Four wrong passwords, then the right one: still fine (the counter resets).
    for _ in 0..4 {
        let err = app
            .try_login(&zamosc, email, "Wrong-Password-123")
            .await
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
    }
    app.login(&zamosc, email, GOOD_PASSWORD).await;

    // Five consecutive wrong passwords lock the account…
    for i in 1..=5 {
        let err = app
            .try_login(&zamosc, email, "Wrong-Password-123")
            .await
            .unwrap_err();
        assert_eq!(
            err.code.as_deref(),
            Some("UNAUTHENTICATED"),
            "attempt {i}: {:?}",
            err.body
        );
    }
    // …so that even the right password is refused now.
    let err = app
        .try_login(&zamosc, email, GOOD_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("RATE_LIMITED"), "{:?}", err.body);

    // Other accounts are unaffected: another resident of zamosc, and the same e-mail on kurow.
    app.login(&zamosc, &resident("zamosc"), PASSWORD).await;
    app.login(&host("kurow"), email, GOOD_PASSWORD).await;
    // Still locked afterwards.
    let err = app
        .try_login(&zamosc, email, GOOD_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn register_validation_names_the_field() {
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");

    for bad in [
        "",
        "nie-ma-malpy",
        "a@",
        "@example.test",
        "dwie@@example.test",
    ] {
        let err = app
            .try_register(&zamosc, bad, GOOD_PASSWORD, "Ewa Nowak")
            .await
            .unwrap_err();
        assert_eq!(
            err.code.as_deref(),
            Some("VALIDATION"),
            "{bad}: {:?}",
            err.body
        );
        assert_eq!(err.field.as_deref(), Some("email"), "{bad}: {:?}", err.body);
    }
    let err = app
        .try_register(&zamosc, "ewa@example.test", GOOD_PASSWORD, "   ")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("VALIDATION"), "{:?}", err.body);
    assert_eq!(err.field.as_deref(), Some("displayName"), "{:?}", err.body);

    let id = app
        .register(&zamosc, "ewa@example.test", GOOD_PASSWORD, "Ewa Nowak")
        .await;
    assert!(!id.is_empty());
    for duplicate in [
        "ewa@example.test",
        " EWA@Example.TEST ",
        &resident("zamosc"),
    ] {
        let err = app
            .try_register(&zamosc, duplicate, GOOD_PASSWORD, "Ewa Nowak")
            .await
            .unwrap_err();
        assert_eq!(
            err.code.as_deref(),
            Some("CONFLICT"),
            "{duplicate}: {:?}",
            err.body
        );
    }
    // The new account signs in, and `me` shows what was registered.
    let tokens = app.login(&zamosc, "ewa@example.test", GOOD_PASSWORD).await;
    let (status, body) = app.me(&zamosc, &tokens.access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let me = &body["data"]["me"];
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["email"], "ewa@example.test");
    assert_eq!(me["displayName"], "Ewa Nowak");
    assert_eq!(me["roles"], serde_json::json!(["RESIDENT"]));
    assert_eq!(me["verified"], false);

    // Without a token `me` is refused.
    let err = app
        .gql_err(&zamosc, "{ me { id } }", Value::Null, None)
        .await;
    assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn login_rate_limit_per_address() {
    // A dedicated instance: every request of the suite comes from 127.0.0.1.
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");

    // 29 attempts that can never succeed (not even an e-mail address)…
    for i in 1..=29 {
        let err = app
            .try_login(&zamosc, &format!("attempt-{i}"), "whatever-password")
            .await
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some("UNAUTHENTICATED"), "attempt {i}");
    }
    // …the 30th, with the right password, is still allowed…
    app.login(&zamosc, &resident("zamosc"), PASSWORD).await;
    // …the 31st is refused before the password is looked at.
    let err = app
        .try_login(&zamosc, &resident("zamosc"), PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("RATE_LIMITED"), "{:?}", err.body);
    assert!(err.message.contains("address"), "{}", err.message);

    // The limit is per tenant: the same address may still sign in elsewhere.
    app.login(&host("baranow"), &resident("baranow"), PASSWORD)
        .await;
    // And it is a sign-in limit, not a ban: other requests to zamosc are served.
    let (status, body) = app
        .gql(&zamosc, "{ tenant { slug } }", Value::Null, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(error_code(&body), "");
}

const REQUEST_RESET: &str = "mutation($email: String!, $url: String!) \
     { auth { requestPasswordReset(email: $email, resetUrl: $url) } }";
const RESET: &str = "mutation($token: String!, $password: String!) \
     { auth { resetPassword(token: $token, newPassword: $password) } }";
const VERIFY: &str = "mutation($token: String!) { auth { verifyEmail(token: $token) } }";

/// The `token` parameter of the link to `page` in a mail's text.
fn token_in(text: &str, page: &str) -> String {
    let start = text
        .find(&format!("{page}?token="))
        .unwrap_or_else(|| panic!("no link to {page} in:\n{text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let url = url::Url::parse(&link).unwrap();
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(token.len(), 43, "{link}");
    token
}

#[tokio::test]
async fn forgotten_password_is_reset_through_the_emailed_link() {
    let smtp = crate::smtp::SmtpServer::start();
    let app = TestApp::spawn_with(|o| {
        o.env("SMTP_URL", smtp.url());
    })
    .await;
    let zamosc = host("zamosc");
    let email = resident("zamosc");
    let page = "http://zamosc.localhost/nowe-haslo";
    let session = app.login(&zamosc, &email, PASSWORD).await;

    // An address without an account gets the same answer, and (below) no e-mail.
    let data = app
        .gql_ok(
            &zamosc,
            REQUEST_RESET,
            serde_json::json!({ "email": "nikt@zamosc.test", "url": page }),
            None,
        )
        .await;
    assert_eq!(data["auth"]["requestPasswordReset"], true);
    // A link to a foreign site is refused before anything is looked up.
    let err = app
        .gql_err(
            &zamosc,
            REQUEST_RESET,
            serde_json::json!({ "email": email, "url": "https://evil.example/nowe-haslo" }),
            None,
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("VALIDATION"), "{:?}", err.body);
    assert_eq!(err.field.as_deref(), Some("resetUrl"), "{:?}", err.body);

    let data = app
        .gql_ok(
            &zamosc,
            REQUEST_RESET,
            serde_json::json!({ "email": email, "url": page }),
            None,
        )
        .await;
    assert_eq!(data["auth"]["requestPasswordReset"], true);
    let text = mail_to(&app, &smtp, &email, "ustaw nowe hasło").await;
    assert!(text.contains("Urząd Miasta Zamość"), "{text}");
    let token = token_in(&text, page);
    // The worker sends messages in the order they were written: an e-mail for the unknown
    // address, asked for first, would have arrived before this one.
    assert!(
        smtp.received()
            .iter()
            .all(|m| m.rcpt_tos.iter().all(|r| r != "nikt@zamosc.test")),
        "an e-mail went to an address without an account"
    );

    // The token is for Zamość only.
    let err = app
        .gql_err(
            &host("kurow"),
            RESET,
            serde_json::json!({ "token": token, "password": GOOD_PASSWORD }),
            None,
        )
        .await;
    assert_eq!(err.field.as_deref(), Some("token"), "{:?}", err.body);

    let data = app
        .gql_ok(
            &zamosc,
            RESET,
            serde_json::json!({ "token": token, "password": GOOD_PASSWORD }),
            None,
        )
        .await;
    assert_eq!(data["auth"]["resetPassword"], true);

    // The old session and password are gone (its access token too, at once); the new
    // password signs in.
    let (status, body) = app.me(&zamosc, &session.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let err = app
        .try_refresh(&zamosc, &session.refresh)
        .await
        .unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    let err = app.try_login(&zamosc, &email, PASSWORD).await.unwrap_err();
    assert_eq!(
        err.code.as_deref(),
        Some("UNAUTHENTICATED"),
        "{:?}",
        err.body
    );
    let tokens = app.login(&zamosc, &email, GOOD_PASSWORD).await;
    let data = app
        .gql_ok(
            &zamosc,
            "{ me { emailVerified } }",
            Value::Null,
            Some(&tokens.access),
        )
        .await;
    assert_eq!(data["me"]["emailVerified"], true);

    // The link works once.
    let err = app
        .gql_err(
            &zamosc,
            RESET,
            serde_json::json!({ "token": token, "password": "Inne-Haslo-Calkiem-2028" }),
            None,
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("VALIDATION"), "{:?}", err.body);
    assert_eq!(err.field.as_deref(), Some("token"), "{:?}", err.body);
}

#[tokio::test]
async fn a_new_account_confirms_its_address_through_the_emailed_link() {
    let smtp = crate::smtp::SmtpServer::start();
    let app = TestApp::spawn_with(|o| {
        o.env("SMTP_URL", smtp.url());
    })
    .await;
    let zamosc = host("zamosc");
    let email = "anna.kowalska@example.test";
    let page = "http://zamosc.localhost/weryfikacja";
    let data = app
        .gql_ok(
            &zamosc,
            "mutation($input: RegisterInput!) { auth { register(input: $input) { id } } }",
            serde_json::json!({ "input": {
                "email": email,
                "password": GOOD_PASSWORD,
                "displayName": "Anna Kowalska",
                "verifyUrl": page,
            } }),
            None,
        )
        .await;
    assert!(data["auth"]["register"]["id"].is_string(), "{data}");
    let tokens = app.login(&zamosc, email, GOOD_PASSWORD).await;
    let me = "{ me { emailVerified } }";
    let data = app
        .gql_ok(&zamosc, me, Value::Null, Some(&tokens.access))
        .await;
    assert_eq!(data["me"]["emailVerified"], false);

    let text = mail_to(&app, &smtp, email, "potwierdź swój adres").await;
    let first = token_in(&text, page);
    // A second link, asked for while signed in; both work until one confirms the address.
    let data = app
        .gql_ok(
            &zamosc,
            "mutation($url: String!) { auth { resendVerification(verifyUrl: $url) } }",
            serde_json::json!({ "url": page }),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(data["auth"]["resendVerification"], true);

    let data = app
        .gql_ok(&zamosc, VERIFY, serde_json::json!({ "token": first }), None)
        .await;
    assert_eq!(data["auth"]["verifyEmail"], true);
    let data = app
        .gql_ok(&zamosc, me, Value::Null, Some(&tokens.access))
        .await;
    assert_eq!(data["me"]["emailVerified"], true);
    let err = app
        .gql_err(&zamosc, VERIFY, serde_json::json!({ "token": first }), None)
        .await;
    assert_eq!(err.field.as_deref(), Some("token"), "{:?}", err.body);
    // Confirmed once is enough: no further link is sent.
    let err = app
        .gql_err(
            &zamosc,
            "mutation($url: String!) { auth { resendVerification(verifyUrl: $url) } }",
            serde_json::json!({ "url": page }),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(err.code.as_deref(), Some("CONFLICT"), "{:?}", err.body);
}
