//! Installation secrets: created once, at random, by whichever server asks first.

use sqlx::PgPool;
use tenantry_core::{Error, Result};

use crate::errors::db;

pub(crate) async fn get_or_create(pool: &PgPool, name: &str) -> Result<[u8; 32]> {
    let fresh = tenantry_core::auth::secret::random_key();
    // Racing servers both insert; one wins, and both read the winner's secret.
    sqlx::query(
        "INSERT INTO installation_secrets (name, secret, created_at) VALUES ($1, $2, now()) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh.as_slice())
    .execute(pool)
    .await
    .map_err(db)?;
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret FROM installation_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
            .map_err(db)?;
    stored
        .try_into()
        .map_err(|_| Error::internal(format!("installation secret {name:?} has the wrong length")))
}
