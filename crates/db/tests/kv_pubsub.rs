//! Publish/subscribe through the key-value store. On Redis (`REDIS_URL` set) an event published
//! through one `connect_kv` store reaches a subscriber of a second, independent one, as between
//! two replicas; the in-process store is covered by the unit tests in `wspolnota-core`, and the
//! single-store test below runs on whichever backend is configured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use wspolnota_core::kv::KvStream;
use wspolnota_core::{KvStore, ScopedKv};
use wspolnota_db::connect_kv;

fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())
}

/// A namespace of its own for each test run, so parallel runs never share a channel.
fn unique_namespace() -> String {
    format!("kvpubsub-{}", uuid::Uuid::new_v4().simple())
}

/// The next message; the timeout only turns a lost message into a failure instead of a hang.
async fn next(stream: &mut KvStream) -> String {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no message within 10 s")
        .expect("the subscription ended")
}

#[tokio::test]
async fn a_message_published_on_one_replica_reaches_a_subscriber_on_another() {
    let Some(url) = redis_url() else {
        eprintln!("REDIS_URL not set: skipping the cross-replica pub/sub test");
        return;
    };
    let namespace = unique_namespace();
    let replica_a: Arc<dyn KvStore> = connect_kv(Some(&url), &namespace).await.unwrap();
    let replica_b: Arc<dyn KvStore> = connect_kv(Some(&url), &namespace).await.unwrap();
    let zamosc_a = ScopedKv::new(replica_a.clone(), "zamosc");
    let zamosc_b = ScopedKv::new(replica_b.clone(), "zamosc");
    let kurow_a = ScopedKv::new(replica_a, "kurow");
    let kurow_b = ScopedKv::new(replica_b, "kurow");

    let mut zamosc_events = zamosc_b.subscribe("payments").await.unwrap();
    let mut zamosc_events_2 = zamosc_b.subscribe("payments").await.unwrap();
    let mut kurow_events = kurow_b.subscribe("payments").await.unwrap();

    zamosc_a.publish("payments", "paid:1").await.unwrap();
    zamosc_a.publish("payments", "paid:2").await.unwrap();
    kurow_a.publish("payments", "kurow:1").await.unwrap();

    assert_eq!(next(&mut zamosc_events).await, "paid:1");
    assert_eq!(next(&mut zamosc_events).await, "paid:2");
    assert_eq!(next(&mut zamosc_events_2).await, "paid:1");
    assert_eq!(next(&mut zamosc_events_2).await, "paid:2");
    // Had Zamość's messages leaked into Kurów's channel, they would come first.
    assert_eq!(next(&mut kurow_events).await, "kurow:1");

    // The channel on the wire carries the deployment namespace and the tenant.
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut channels: Vec<String> = redis::cmd("PUBSUB")
        .arg("CHANNELS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    channels.sort();
    assert_eq!(
        channels,
        vec![
            format!("{namespace}:kurow:payments"),
            format!("{namespace}:zamosc:payments"),
        ]
    );
}

#[tokio::test]
async fn only_messages_published_after_subscribing_are_received() {
    let url = redis_url();
    let store: Arc<dyn KvStore> = connect_kv(url.as_deref(), &unique_namespace())
        .await
        .unwrap();
    let zamosc = ScopedKv::new(store, "zamosc");

    // Fire-and-forget: publishing with nobody subscribed is fine.
    zamosc.publish("events", "before").await.unwrap();
    let mut events = zamosc.subscribe("events").await.unwrap();
    zamosc.publish("events", "after").await.unwrap();
    assert_eq!(next(&mut events).await, "after");

    // A dropped subscription does not disturb the next publish.
    drop(events);
    zamosc.publish("events", "into-the-void").await.unwrap();
}
