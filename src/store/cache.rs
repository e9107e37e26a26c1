//! Read-mostly data kept in memory between requests, each copy tagged with the version
//! counter (`data_versions`) it was read at. Triggers bump the counter on every change,
//! so one primary-key read per request tells whether the copy is still current, also
//! when the change came through another instance.

use std::sync::{Arc, RwLock};

use super::{Store, StoreResult, sql};
use crate::domain::kommune::Register;

#[derive(Debug, Default)]
pub(super) struct Caches {
    register: Versioned<Register>,
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

impl Store {
    async fn data_version(&self, name: &str) -> StoreResult<i64> {
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
