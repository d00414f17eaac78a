//! Installation secrets: created once, at random, by whichever server asks first.

use tenantry_core::{Error, Result};

use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::timestamps::to_db;

pub(crate) async fn get_or_create(writer: &Writer, name: &str) -> Result<[u8; 32]> {
    let mut tx = begin_write(writer).await?;
    let fresh = tenantry_core::auth::secret::random_key();
    sqlx::query(
        "INSERT INTO installation_secrets (name, secret, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh.as_slice())
    .bind(to_db(time::OffsetDateTime::now_utc()))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret FROM installation_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    commit(tx).await?;
    stored
        .try_into()
        .map_err(|_| Error::internal(format!("installation secret {name:?} has the wrong length")))
}
