//! Following the `data_versions` counters on PostgreSQL: a trigger announces every change
//! with NOTIFY (`migrations/postgres/0009_data_versions_notify.sql`), one connection of
//! the pool listens, and [`LiveVersions`](super::cache::LiveVersions) holds what it heard.
//! Whenever an announcement may have been missed (the connection was lost, the listener
//! failed), the counters are unknown again and requests ask the database, as on SQLite,
//! until a fresh reading.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::cache::Caches;

/// The channel the trigger announces on; the payload is `schema name version`, so
/// installations sharing a database in different schemas ignore each other.
const CHANNEL: &str = "tilskudd_data_versions";

/// A safety net under the announcements: a connection that died without either end
/// noticing delivers nothing, so the counters are also read this often.
const READ_EVERY: Duration = Duration::from_secs(5);

/// After a failure, wait this long before listening again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub(super) fn spawn(pool: PgPool, caches: Arc<Caches>) {
    tokio::spawn(listen(pool.clone(), Arc::clone(&caches)));
    tokio::spawn(read_regularly(pool, caches));
}

async fn listen(pool: PgPool, caches: Arc<Caches>) {
    while !pool.is_closed() {
        caches.live.forget();
        if let Err(error) = follow_until_lost(&pool, &caches).await {
            caches.live.forget();
            if pool.is_closed() {
                break;
            }
            tracing::warn!(%error, "følger ikke dataversjonene; spør databasen per forespørsel");
            tokio::time::sleep(RETRY_AFTER).await;
        }
    }
    caches.live.forget();
}

/// Listens, reads the counters, then takes in announcements until the connection is lost
/// (`Ok`, to start again at once) or something fails (`Err`).
async fn follow_until_lost(pool: &PgPool, caches: &Caches) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let (schema,): (String,) = sqlx::query_as("SELECT current_schema()")
        .fetch_one(&mut listener)
        .await?;
    // Listening first, reading second: a change between the two is in the reading or
    // announced after it.
    caches.live.start(&read_versions(&mut listener).await?);
    while let Some(notification) = listener.try_recv().await? {
        if let Some((name, version)) = announced(notification.payload(), &schema) {
            caches.live.raise(name, version);
        }
    }
    Ok(())
}

async fn read_regularly(pool: PgPool, caches: Arc<Caches>) {
    loop {
        tokio::time::sleep(READ_EVERY).await;
        if pool.is_closed() {
            break;
        }
        if let Ok(reading) = read_versions(&pool).await {
            for (name, version) in &reading {
                caches.live.raise(name, *version);
            }
        }
    }
}

async fn read_versions<'c, E>(executor: E) -> sqlx::Result<Vec<(String, i64)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query_as("SELECT name, version FROM data_versions")
        .fetch_all(executor)
        .await
}

/// `schema name version` of this installation's schema, or `None`.
fn announced<'p>(payload: &'p str, schema: &str) -> Option<(&'p str, i64)> {
    let mut parts = payload.split(' ');
    if parts.next()? != schema {
        return None;
    }
    let name = parts.next()?;
    let version = parts.next()?.parse().ok()?;
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::announced;

    #[test]
    fn announcements_of_another_schema_are_ignored() {
        assert_eq!(
            announced("public writes 12", "public"),
            Some(("writes", 12))
        );
        assert_eq!(announced("other writes 12", "public"), None);
        assert_eq!(announced("public writes", "public"), None);
        assert_eq!(announced("public writes x", "public"), None);
    }
}
