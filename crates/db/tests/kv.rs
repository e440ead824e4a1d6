//! The key-value store keeps tenants apart: every key carries the deployment namespace and
//! the tenant. On Redis (`REDIS_URL` set) the raw keys are checked; otherwise the in-process store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use wspolnota_core::{KvStore, ScopedKv};
use wspolnota_db::connect_kv;

#[tokio::test]
async fn keys_are_prefixed_by_namespace_and_tenant() {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    let namespace = format!("kvtest-{}", uuid::Uuid::new_v4().simple());
    let store: Arc<dyn KvStore> = connect_kv(url.as_deref(), &namespace).await.unwrap();
    let zamosc = ScopedKv::new(store.clone(), "zamosc");
    let kurow = ScopedKv::new(store.clone(), "kurow");

    zamosc
        .set("oidc-state:abc", "verifier", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        zamosc.get("oidc-state:abc").await.unwrap().as_deref(),
        Some("verifier")
    );
    assert_eq!(kurow.get("oidc-state:abc").await.unwrap(), None);
    assert_eq!(
        zamosc
            .incr("attempts", Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        kurow
            .incr("attempts", Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        zamosc
            .incr("attempts", Duration::from_secs(60))
            .await
            .unwrap(),
        2
    );

    if let Some(url) = url.clone() {
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{namespace}:*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                format!("{namespace}:kurow:attempts"),
                format!("{namespace}:zamosc:attempts"),
                format!("{namespace}:zamosc:oidc-state:abc"),
            ]
        );
        let ttl: i64 = redis::cmd("TTL")
            .arg(format!("{namespace}:zamosc:attempts"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            ttl > 0 && ttl <= 60,
            "counters expire with their window: {ttl}"
        );
    }
    // One-time values can be taken once.
    assert_eq!(
        zamosc.take("oidc-state:abc").await.unwrap().as_deref(),
        Some("verifier")
    );
    assert_eq!(zamosc.take("oidc-state:abc").await.unwrap(), None);
    if let Some(url) = url {
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("DEL")
            .arg(format!("{namespace}:kurow:attempts"))
            .arg(format!("{namespace}:zamosc:attempts"))
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
