//! Times are stored as INTEGER microseconds since the Unix epoch, UTC.

use tenantry_core::{Error, Result};
use time::OffsetDateTime;

pub(crate) fn to_db(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_db(micros: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| Error::internal(format!("stored timestamp {micros} out of range: {e}")))
}

pub(crate) fn from_db_opt(micros: Option<i64>) -> Result<Option<OffsetDateTime>> {
    micros.map(from_db).transpose()
}
