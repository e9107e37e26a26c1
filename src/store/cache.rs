//! Read-mostly data kept in memory between requests, each copy tagged with the version
//! counter (`data_versions`) it was read at. Triggers bump the counter on every change,
//! so one primary-key read per request tells whether the copy is still current, also
//! when the change came through another instance.
//!
//! On PostgreSQL an instance that follows the counters ([`Store::follow_changes`]) knows
//! them without asking: each change is announced with NOTIFY, and a known caller is
//! answered from memory with no round trip at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};

use super::{Store, StoreResult, sql};
use crate::domain::kommune::Register;
use crate::domain::user::Principal;

#[derive(Debug, Default)]
pub(super) struct Caches {
    register: Versioned<Register>,
    pub(super) live: LiveVersions,
    pub(super) callers: KnownCallers,
}

/// One cached value and the version it was read at.
#[derive(Debug)]
struct Versioned<T> {
    current: RwLock<Option<(i64, Arc<T>)>>,
}

impl<T> Default for Versioned<T> {
    fn default() -> Self {
        Versioned {
            current: RwLock::new(None),
        }
    }
}

impl<T> Versioned<T> {
    fn get(&self, version: i64) -> Option<Arc<T>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        match &*current {
            Some((cached, value)) if *cached == version => Some(Arc::clone(value)),
            _ => None,
        }
    }

    fn put(&self, version: i64, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        // Two requests may load at once; keep the newer reading.
        if current
            .as_ref()
            .is_none_or(|(cached, _)| *cached <= version)
        {
            *current = Some((version, Arc::clone(&value)));
        }
        value
    }
}

/// The `data_versions` counters as announced by the database, while this instance follows
/// them; unknown (every request asks the database) before the first reading and whenever
/// the announcements may have been missed.
#[derive(Debug, Default)]
pub(super) struct LiveVersions {
    known: RwLock<Option<HashMap<String, i64>>>,
}

impl LiveVersions {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<HashMap<String, i64>>> {
        self.known.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<HashMap<String, i64>>> {
        self.known.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The sum of the counters, as `Caller::data_version` is.
    pub(super) fn sum(&self) -> Option<i64> {
        self.read().as_ref().map(|versions| versions.values().sum())
    }

    pub(super) fn get(&self, name: &str) -> Option<i64> {
        self.read()
            .as_ref()
            .and_then(|versions| versions.get(name).copied())
    }

    /// A full reading while announcements are being received: from now on, known.
    pub(super) fn start(&self, reading: &[(String, i64)]) {
        let mut known = self.write();
        let versions = known.get_or_insert_with(HashMap::new);
        for (name, version) in reading {
            let entry = versions.entry(name.clone()).or_insert(*version);
            *entry = (*entry).max(*version);
        }
    }

    /// An announcement or a reading: counters only grow, so the larger value is current.
    /// Ignored while unknown (the next full reading takes it in).
    pub(super) fn raise(&self, name: &str, version: i64) {
        if let Some(versions) = self.write().as_mut() {
            let entry = versions.entry(name.to_string()).or_insert(version);
            *entry = (*entry).max(version);
        }
    }

    /// Announcements may have been missed: ask the database until the next full reading.
    pub(super) fn forget(&self) {
        *self.write() = None;
    }
}

/// Callers found by a session or an API token, answered from memory while nothing has
/// changed since (any change, logging out and role changes included, bumps a counter).
/// Only used while the counters are known without asking ([`LiveVersions`]).
#[derive(Debug, Default)]
pub(super) struct KnownCallers {
    entries: Mutex<HashMap<String, KnownCaller>>,
}

#[derive(Debug, Clone)]
struct KnownCaller {
    principal: Principal,
    /// When the database last noted the session's or token's use.
    seen_at: DateTime<Utc>,
    /// The counters' sum it was read at.
    data_version: i64,
}

/// Enough for every officer of a Statsforvalter many times over; beyond it, start again.
const KNOWN_CALLERS_LIMIT: usize = 10_000;

/// The database notes a session's (or token's) use at most this often; a caller seen
/// longer ago is looked up again, which notes it.
pub(super) const SEEN_PRECISION: Duration = Duration::seconds(60);

impl KnownCallers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KnownCaller>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The caller of `key` if it was read at `data_version` and seen recently enough that
    /// neither the idle limit nor the use note is due.
    pub(super) fn get(
        &self,
        key: &str,
        data_version: i64,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Option<Principal> {
        let entries = self.lock();
        let known = entries.get(key)?;
        let age = now - known.seen_at;
        (known.data_version == data_version && age <= SEEN_PRECISION && age <= idle)
            .then(|| known.principal.clone())
    }

    pub(super) fn put(
        &self,
        key: String,
        principal: Principal,
        seen_at: DateTime<Utc>,
        data_version: i64,
    ) {
        let mut entries = self.lock();
        if entries.len() >= KNOWN_CALLERS_LIMIT {
            entries.retain(|_, known| known.data_version >= data_version);
            if entries.len() >= KNOWN_CALLERS_LIMIT {
                entries.clear();
            }
        }
        entries.insert(
            key,
            KnownCaller {
                principal,
                seen_at,
                data_version,
            },
        );
    }
}

impl Store {
    async fn data_version(&self, name: &str) -> StoreResult<i64> {
        if let Some(version) = self.cache.live.get(name) {
            return Ok(version);
        }
        let (version,): (i64,) = self
            .fetch_one(sql("SELECT version FROM data_versions WHERE name = $1").bind(name))
            .await?;
        Ok(version)
    }

    /// The municipality register, from memory while no one has changed it. The version
    /// is read before the tables, so a copy is never tagged newer than what it holds.
    pub async fn register(&self) -> StoreResult<Arc<Register>> {
        let version = self.data_version("register").await?;
        if let Some(register) = self.cache.register.get(version) {
            return Ok(register);
        }
        let register = self.load_register().await?;
        Ok(self.cache.register.put(version, register))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            user_id: 1,
            username: "saksbehandler".into(),
            display_name: "Saksbehandler".into(),
            roles: Vec::new(),
            organisation_id: None,
            must_change_password: false,
        }
    }

    #[test]
    fn live_versions_are_unknown_until_started_and_after_forgetting() {
        let live = LiveVersions::default();
        live.raise("writes", 5);
        assert_eq!(live.sum(), None);
        live.start(&[("writes".into(), 3), ("register".into(), 2)]);
        assert_eq!(live.sum(), Some(5));
        live.raise("writes", 7);
        live.raise("writes", 4);
        assert_eq!(live.get("writes"), Some(7));
        // A reading older than an announcement does not take the counter back.
        live.start(&[("writes".into(), 6), ("register".into(), 2)]);
        assert_eq!(live.sum(), Some(9));
        live.forget();
        assert_eq!(live.get("register"), None);
    }

    #[test]
    fn a_known_caller_is_answered_only_at_its_version_and_while_recently_seen() {
        let callers = KnownCallers::default();
        let seen = Utc::now();
        callers.put("s".into(), principal(), seen, 10);
        let idle = Duration::hours(8);
        assert!(callers.get("s", 10, seen, idle).is_some());
        assert!(callers.get("s", 11, seen, idle).is_none());
        assert!(callers.get("t", 10, seen, idle).is_none());
        assert!(
            callers
                .get("s", 10, seen + Duration::seconds(61), idle)
                .is_none()
        );
        assert!(
            callers
                .get("s", 10, seen + Duration::seconds(30), Duration::seconds(20))
                .is_none()
        );
    }
}
