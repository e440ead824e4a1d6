use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::{Config, Pool, Runtime};
use futures_util::StreamExt;
use wspolnota_core::kv::KvStream;
use wspolnota_core::{AppError, AppResult, KvStore, MemoryKv};

/// Redis behind the core's `KvStore`. Every key is `{namespace}:{scope}:{key}`: the namespace
/// separates deployments sharing one Redis, the scope (added by `ScopedKv`) separates tenants.
/// Pub/sub channels are named the same way.
pub struct RedisKv {
    pool: Pool,
    /// Opens the dedicated connection of each subscription (a subscribed connection can run
    /// no other command, so it cannot come from the pool).
    client: redis::Client,
    namespace: String,
}

impl RedisKv {
    pub async fn connect(url: &str, namespace: &str) -> AppResult<Self> {
        let pool = Config::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(AppError::internal)?;
        let client = redis::Client::open(url).map_err(AppError::internal)?;
        let kv = Self {
            pool,
            client,
            namespace: namespace.to_owned(),
        };
        let mut conn = kv.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(AppError::internal)?;
        Ok(kv)
    }

    async fn conn(&self) -> AppResult<deadpool_redis::Connection> {
        self.pool.get().await.map_err(AppError::internal)
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl KvStore for RedisKv {
    async fn incr(&self, key: &str, window: Duration) -> AppResult<u64> {
        let key = self.key(key);
        let mut conn = self.conn().await?;
        // The window starts with the first increment: SET NX PX creates the key with its
        // expiry only if it does not exist yet.
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("NX")
            .arg("PX")
            .arg(millis(window))
            .ignore()
            .cmd("INCR")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(AppError::internal)?;
        Ok(count)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> AppResult<()> {
        let mut conn = self.conn().await?;
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut conn)
            .await
            .map_err(AppError::internal)
    }

    async fn get(&self, key: &str) -> AppResult<Option<String>> {
        let mut conn = self.conn().await?;
        redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .map_err(AppError::internal)
    }

    async fn take(&self, key: &str) -> AppResult<Option<String>> {
        let mut conn = self.conn().await?;
        redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .map_err(AppError::internal)
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        let mut conn = self.conn().await?;
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut conn)
            .await
            .map_err(AppError::internal)
    }

    async fn publish(&self, channel: &str, message: &str) -> AppResult<()> {
        let mut conn = self.conn().await?;
        // The reply is the number of subscribers reached; none is fine.
        redis::cmd("PUBLISH")
            .arg(self.key(channel))
            .arg(message)
            .query_async::<i64>(&mut conn)
            .await
            .map_err(AppError::internal)?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> AppResult<KvStream> {
        let mut pubsub = self
            .client
            .get_async_pubsub()
            .await
            .map_err(AppError::internal)?;
        // Returns once Redis has confirmed the SUBSCRIBE, so nothing published after this
        // call returns is missed.
        pubsub
            .subscribe(self.key(channel))
            .await
            .map_err(AppError::internal)?;
        // The stream owns the connection: dropping it closes the connection, which unsubscribes.
        let messages = pubsub.into_on_message().filter_map(|msg| async move {
            match msg.get_payload::<String>() {
                Ok(payload) => Some(payload),
                Err(_) => {
                    tracing::warn!("kv: skipped a pub/sub message that is not UTF-8");
                    None
                }
            }
        });
        Ok(Box::pin(messages))
    }
}

/// Redis when `redis_url` is set, the in-process store otherwise.
pub async fn connect_kv(redis_url: Option<&str>, namespace: &str) -> AppResult<Arc<dyn KvStore>> {
    Ok(match redis_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Arc::new(RedisKv::connect(url, namespace).await?),
        None => Arc::new(MemoryKv::default()),
    })
}
