//! Health, metrics and the limits that protect the server.

use serde_json::{Value, json};
use wspolnota_e2e::{PLATFORM, StatusCode, TestApp, host};

#[tokio::test]
async fn health_ready_metrics() {
    let app = TestApp::spawn().await;
    // Health endpoints answer on any host (load balancers probe by address).
    for h in ["127.0.0.1", "zamosc.localhost", "nieznana.localhost"] {
        let (status, body) = app.get(h, "/healthz").await;
        assert_eq!(status, StatusCode::OK, "{h}: {body}");
        assert_eq!(body, "ok");
        let (status, body) = app.get(h, "/readyz").await;
        assert_eq!(status, StatusCode::OK, "{h}: {body}");
    }

    // Traffic shows in the metrics, labelled with the tenant.
    app.gql_ok(&host("zamosc"), "{ tenant { slug } }", Value::Null, None)
        .await;
    let (status, _) = app.get("nieznana.localhost", "/graphql").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, metrics) = app.get("127.0.0.1", "/metrics").await;
    assert_eq!(status, StatusCode::OK, "{metrics}");
    let requests: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total"))
        .collect();
    assert!(!requests.is_empty(), "{metrics}");
    assert!(
        requests
            .iter()
            .any(|l| l.contains("tenant=\"zamosc\"") && l.contains("status=\"200\"")),
        "{requests:?}"
    );
    assert!(
        requests.iter().any(|l| l.contains("status=\"404\"")),
        "{requests:?}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds"),
        "{metrics}"
    );
}

/// A JSON GraphQL body of exactly `size` bytes (padded with spaces inside the query).
fn body_of_size(size: usize) -> String {
    let query = "{ tenant { slug } }";
    let empty = json!({ "query": query }).to_string();
    let pad = size.checked_sub(empty.len()).unwrap();
    let body = json!({ "query": format!("{query}{}", " ".repeat(pad)) }).to_string();
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn body_limit_413() {
    let app = TestApp::spawn().await;
    let limit = 1 << 20;

    let (status, text) = app
        .post_expecting_continue(
            &host("zamosc"),
            "/graphql",
            "application/json",
            body_of_size(limit).as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "exactly 1 MiB is allowed: {text}");
    assert!(text.contains("\"zamosc\""), "{text}");

    for (h, size) in [
        (host("zamosc"), limit + 1),
        (PLATFORM.to_owned(), limit + 1),
        (host("zamosc"), 8 * limit),
    ] {
        let (status, text) = app
            .post_expecting_continue(
                &h,
                "/graphql",
                "application/json",
                body_of_size(size).as_bytes(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{h}, {size} bytes: {text}"
        );
    }
    // The server is fine afterwards.
    app.gql_ok(&host("zamosc"), "{ tenant { slug } }", Value::Null, None)
        .await;
}

/// The same limit for a body sent without `Content-Length` (chunked transfer encoding),
/// spoken over a raw socket.
#[tokio::test]
async fn body_limit_413_for_chunked_bodies() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let body = body_of_size((1 << 20) + 1);
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", app.port()))
        .await
        .unwrap();
    let head = "POST /graphql HTTP/1.1\r\nHost: zamosc.localhost\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
                Connection: close\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.as_bytes().chunks(64 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        // The server may answer and close before the whole body is sent.
        if socket.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        response.lines().take(8).collect::<Vec<_>>().join("\n")
    );
}

/// `__schema { types { fields { type { ofType^n { name } } } } }`: depth 4 + n + 1.
fn introspection_of_depth(depth: usize) -> String {
    let n = depth - 5;
    let mut inner = "name".to_owned();
    for _ in 0..n {
        inner = format!("ofType {{ {inner} }}");
    }
    format!("{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}")
}

#[tokio::test]
async fn depth_limit_refused() {
    let app = TestApp::spawn().await;
    let zamosc = host("zamosc");

    // Depth 12 is allowed…
    let data = app
        .gql_ok(&zamosc, &introspection_of_depth(12), Value::Null, None)
        .await;
    assert!(data["__schema"]["types"].is_array());

    // …13 and deeper are refused before anything runs.
    for depth in [13, 30] {
        let (status, body) = app
            .gql(&zamosc, &introspection_of_depth(depth), Value::Null, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["data"].is_null(), "depth {depth}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("nested too deep"), "depth {depth}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "VALIDATION",
            "{body}"
        );
    }
}
