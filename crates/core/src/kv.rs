//! A small key-value store for rate limits, short-lived login state and caches: Redis when
//! configured (crate `wspolnota-db`), an in-process map otherwise. Every key goes through
//! [`ScopedKv`], which prefixes it with the tenant, so tenants never share a key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::AppResult;

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
}

/// The in-process store used when no Redis is configured (one replica only).
#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, (String, Instant)>>,
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
}
