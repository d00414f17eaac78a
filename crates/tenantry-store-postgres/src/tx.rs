//! Writes that retry transient failures.
//!
//! Under contention PostgreSQL may abort a transaction with a deadlock or serialization failure;
//! the work is then simply run again on a fresh transaction, after a short jittered pause, up to
//! [`MAX_ATTEMPTS`] times. Work must therefore be repeatable: it takes owned copies of its inputs.
//! Work that is a single statement runs through [`statement`]: a statement is a transaction of
//! its own, so it needs no `BEGIN` and `COMMIT`, two of a write's round trips.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rand::RngExt as _;
use sqlx::{PgConnection, PgPool};
use tenantry_core::Result;

use crate::errors::StoreError;

pub(crate) const MAX_ATTEMPTS: u32 = 8;

pub(crate) type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// Runs `work` in a transaction, again on a transient failure.
pub(crate) async fn write<T, F>(pool: &PgPool, work: F) -> Result<T>
where
    F: for<'c> FnMut(&'c mut PgConnection) -> Work<'c, T>,
{
    retrying(pool, Wrap::Transaction, work).await
}

/// Runs `work`, which must send exactly one statement that writes, again on a transient
/// failure. More statements would each commit on their own.
pub(crate) async fn statement<T, F>(pool: &PgPool, work: F) -> Result<T>
where
    F: for<'c> FnMut(&'c mut PgConnection) -> Work<'c, T>,
{
    retrying(pool, Wrap::Nothing, work).await
}

/// What [`retrying`] puts around the work.
#[derive(Clone, Copy)]
enum Wrap {
    Transaction,
    Nothing,
}

async fn retrying<T, F>(pool: &PgPool, wrap: Wrap, mut work: F) -> Result<T>
where
    F: for<'c> FnMut(&'c mut PgConnection) -> Work<'c, T>,
{
    let mut attempt = 1;
    loop {
        let outcome = async {
            match wrap {
                Wrap::Transaction => {
                    let mut tx = pool.begin().await?;
                    let value = work(&mut tx).await?;
                    tx.commit().await?;
                    Ok::<T, StoreError>(value)
                }
                Wrap::Nothing => work(&mut *pool.acquire().await?).await,
            }
        }
        .await;
        match outcome {
            Ok(value) => {
                tenantry_core::committed_writes::note();
                return Ok(value);
            }
            Err(error) if error.is_transient() && attempt < MAX_ATTEMPTS => {
                let ceiling = 5u64 << attempt.min(6);
                let pause = rand::rng().random_range(1..=ceiling);
                tracing::debug!(
                    attempt,
                    pause_ms = pause,
                    "retrying a transient transaction failure"
                );
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            Err(error) => return Err(error.into_core()),
        }
    }
}
