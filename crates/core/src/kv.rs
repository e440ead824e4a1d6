//! A small key-value store for rate limits, short-lived login state and caches: Redis when
//! configured (crate `wspolnota-db`), an in-process map otherwise. Every key goes through
//! [`ScopedKv`], which prefixes it with the tenant, so tenants never share a key.
//!
//! The store also carries publish/subscribe ([`KvStore::publish`], [`KvStore::subscribe`]), so an
//! event published on one replica reaches subscribers on every replica (Redis pub/sub), or on
//! this process only with the in-process store. Channels are scoped like keys.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::Stream;
use tokio::sync::broadcast;

use crate::error::AppResult;

/// The messages of one subscription, in publication order. It ends only when the underlying
/// connection is lost; dropping it unsubscribes.
pub type KvStream = Pin<Box<dyn Stream<Item = String> + Send>>;

#[async_trait]
pub trait KvStore: Send + Sync {
    /// Increments the counter `key`, starting a window of `window` at the first increment;
    /// returns the count within the current window.
    async fn incr(&self, key: &str, window: Duration) -> AppResult<u64>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> AppResult<()>;
    async fn get(&self, key: &str) -> AppResult<Option<String>>;
    /// Reads and deletes at once, so a one-time value can be used only once.
    async fn take(&self, key: &str) -> AppResult<Option<String>>;
    async fn delete(&self, key: &str) -> AppResult<()>;
    /// Publishes `message` on `channel` to every current subscriber (on any replica).
    /// Fire-and-forget: no subscriber is fine.
    async fn publish(&self, channel: &str, message: &str) -> AppResult<()>;
    /// Subscribes to `channel`; the stream yields each message published after this call returns.
    async fn subscribe(&self, channel: &str) -> AppResult<KvStream>;
}

/// A store view confined to one tenant (or the platform).
#[derive(Clone)]
pub struct ScopedKv {
    store: Arc<dyn KvStore>,
    prefix: String,
}

impl ScopedKv {
    pub fn new(store: Arc<dyn KvStore>, scope: &str) -> Self {
        Self {
            store,
            prefix: format!("{scope}:"),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub async fn incr(&self, key: &str, window: Duration) -> AppResult<u64> {
        self.store.incr(&self.key(key), window).await
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> AppResult<()> {
        self.store.set(&self.key(key), value, ttl).await
    }

    pub async fn get(&self, key: &str) -> AppResult<Option<String>> {
        self.store.get(&self.key(key)).await
    }

    pub async fn take(&self, key: &str) -> AppResult<Option<String>> {
        self.store.take(&self.key(key)).await
    }

    pub async fn delete(&self, key: &str) -> AppResult<()> {
        self.store.delete(&self.key(key)).await
    }

    /// Publishes on the tenant's `channel`; subscribers of another tenant's channel of the same
    /// name never see it.
    pub async fn publish(&self, channel: &str, message: &str) -> AppResult<()> {
        self.store.publish(&self.key(channel), message).await
    }

    /// Subscribes to the tenant's `channel`.
    pub async fn subscribe(&self, channel: &str) -> AppResult<KvStream> {
        self.store.subscribe(&self.key(channel)).await
    }
}

/// How many messages a slow in-process subscriber may fall behind before it skips ahead.
const CHANNEL_CAPACITY: usize = 64;

/// The in-process store used when no Redis is configured (one replica only).
#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, (String, Instant)>>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

impl MemoryKv {
    fn with_entries<T>(&self, f: impl FnOnce(&mut HashMap<String, (String, Instant)>) -> T) -> T {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Expired entries are dropped lazily; the map stays small (rate-limit windows, login state).
        if map.len() > 10_000 {
            map.retain(|_, (_, expires)| *expires > now);
        }
        f(&mut map)
    }

    fn with_channels<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, broadcast::Sender<String>>) -> T,
    ) -> T {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut map)
    }
}

/// A broadcast receiver as a stream: a lagged receiver skips the messages it missed and goes on.
fn receiver_stream(receiver: broadcast::Receiver<String>) -> KvStream {
    Box::pin(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(message) => return Some((message, receiver)),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "kv subscriber lagged; messages skipped");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    ))
}

fn live(entry: Option<&(String, Instant)>) -> Option<&String> {
    entry
        .filter(|(_, expires)| *expires > Instant::now())
        .map(|(v, _)| v)
}

#[async_trait]
impl KvStore for MemoryKv {
    async fn incr(&self, key: &str, window: Duration) -> AppResult<u64> {
        Ok(self.with_entries(|map| {
            let count = live(map.get(key))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            let expires = match map.get(key) {
                Some((_, expires)) if *expires > Instant::now() => *expires,
                _ => Instant::now() + window,
            };
            map.insert(key.to_owned(), (count.to_string(), expires));
            count
        }))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> AppResult<()> {
        self.with_entries(|map| {
            map.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
        });
        Ok(())
    }

    async fn get(&self, key: &str) -> AppResult<Option<String>> {
        Ok(self.with_entries(|map| live(map.get(key)).cloned()))
    }

    async fn take(&self, key: &str) -> AppResult<Option<String>> {
        Ok(self.with_entries(|map| {
            map.remove(key)
                .filter(|(_, expires)| *expires > Instant::now())
                .map(|(v, _)| v)
        }))
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        self.with_entries(|map| map.remove(key));
        Ok(())
    }

    async fn publish(&self, channel: &str, message: &str) -> AppResult<()> {
        self.with_channels(|map| {
            let delivered = map
                .get(channel)
                .is_some_and(|sender| sender.send(message.to_owned()).is_ok());
            if !delivered {
                // Nobody listens any more: forget the channel.
                map.remove(channel);
            }
        });
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> AppResult<KvStream> {
        let receiver = self.with_channels(|map| {
            // Channels whose subscribers all went away without a publish since.
            map.retain(|_, sender| sender.receiver_count() > 0);
            map.entry(channel.to_owned())
                .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
                .subscribe()
        });
        Ok(receiver_stream(receiver))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// The next message, failing instead of hanging when none comes.
    async fn next(stream: &mut KvStream) -> String {
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn scoped_keys_do_not_cross_tenants() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryKv::default());
        let zamosc = ScopedKv::new(store.clone(), "zamosc");
        let kurow = ScopedKv::new(store, "kurow");
        zamosc.set("k", "v", Duration::from_secs(60)).await.unwrap();
        assert_eq!(zamosc.get("k").await.unwrap().as_deref(), Some("v"));
        assert_eq!(kurow.get("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn counters_reset_after_their_window_and_take_is_one_time() {
        let kv = MemoryKv::default();
        assert_eq!(kv.incr("c", Duration::from_millis(50)).await.unwrap(), 1);
        assert_eq!(kv.incr("c", Duration::from_millis(50)).await.unwrap(), 2);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(kv.incr("c", Duration::from_millis(50)).await.unwrap(), 1);
        kv.set("once", "x", Duration::from_secs(5)).await.unwrap();
        assert_eq!(kv.take("once").await.unwrap().as_deref(), Some("x"));
        assert_eq!(kv.take("once").await.unwrap(), None);
    }

    #[tokio::test]
    async fn every_subscriber_receives_a_published_message() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryKv::default());
        let zamosc = ScopedKv::new(store, "zamosc");
        let mut first = zamosc.subscribe("payments").await.unwrap();
        let mut second = zamosc.subscribe("payments").await.unwrap();
        zamosc.publish("payments", "paid:1").await.unwrap();
        zamosc.publish("payments", "paid:2").await.unwrap();
        assert_eq!(next(&mut first).await, "paid:1");
        assert_eq!(next(&mut first).await, "paid:2");
        assert_eq!(next(&mut second).await, "paid:1");
        assert_eq!(next(&mut second).await, "paid:2");
    }

    #[tokio::test]
    async fn channels_do_not_cross_tenants() {
        let store: Arc<dyn KvStore> = Arc::new(MemoryKv::default());
        let zamosc = ScopedKv::new(store.clone(), "zamosc");
        let kurow = ScopedKv::new(store, "kurow");
        let mut at_kurow = kurow.subscribe("payments").await.unwrap();
        zamosc.publish("payments", "zamosc-secret").await.unwrap();
        kurow.publish("payments", "kurow-own").await.unwrap();
        // Had Zamość's message leaked, it would come first.
        assert_eq!(next(&mut at_kurow).await, "kurow-own");
    }

    #[tokio::test]
    async fn messages_published_before_subscribing_are_not_received() {
        let kv = MemoryKv::default();
        kv.publish("c", "nobody-listens").await.unwrap();
        let mut stream = kv.subscribe("c").await.unwrap();
        kv.publish("c", "after").await.unwrap();
        assert_eq!(next(&mut stream).await, "after");
    }

    #[tokio::test]
    async fn lagging_subscribers_skip_ahead_and_dropped_ones_are_forgotten() {
        let kv = MemoryKv::default();
        let mut slow = kv.subscribe("c").await.unwrap();
        for i in 0..(CHANNEL_CAPACITY + 10) {
            kv.publish("c", &i.to_string()).await.unwrap();
        }
        // The oldest messages were overwritten; the stream goes on from the oldest kept one.
        assert_eq!(next(&mut slow).await, "10");
        drop(slow);
        kv.publish("c", "into-the-void").await.unwrap();
        assert!(kv.with_channels(|map| map.is_empty()));
    }
}
