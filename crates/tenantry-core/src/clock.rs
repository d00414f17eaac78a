//! Time comes from a [`Clock`] so that expiry and timestamps are testable without sleeping.

use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock, truncated to microseconds because that is what both databases store.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(OffsetDateTime::now_utc())
    }
}

/// A clock that only moves when told to; for tests of expiry.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(truncate_to_micros(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        match self.now.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let micros = t.microsecond();
    t.replace_nanosecond(micros * 1_000).unwrap_or(t)
}

/// `t` in UTC, if RFC 3339 can write it: years 0000 to 9999. Every time Tenantry answers with
/// is written that way, so a time read from a client or a dump outside that range is refused
/// where it is read, not found unwritable later ("-2026-01-01" parses as a date, and
/// "0000-01-01T00:00:00+01:00" is the year -1 in UTC). `checked_to_offset`, because
/// `to_offset` panics past the year 9999 ("9999-12-31T23:30:00-01:00").
pub fn rfc3339_utc(t: OffsetDateTime) -> Option<OffsetDateTime> {
    let utc = t.checked_to_offset(time::UtcOffset::UTC)?;
    (0..=9999).contains(&utc.year()).then_some(utc)
}

#[cfg(test)]
mod tests {
    use time::format_description::well_known::Rfc3339;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn rfc3339_utc_keeps_what_rfc3339_can_write_and_refuses_the_rest() {
        for writable in [
            datetime!(0000-01-01 00:00 UTC),
            datetime!(9999-12-31 23:59:59.999999 UTC),
            datetime!(2026-11-24 12:00 +05:00),
        ] {
            let utc = rfc3339_utc(writable).expect("within range");
            assert_eq!(utc, writable);
            assert_eq!(utc.offset(), time::UtcOffset::UTC);
            assert!(utc.format(&Rfc3339).is_ok());
        }
        for unwritable in [
            datetime!(-0001-12-31 23:59 UTC),
            datetime!(0000-01-01 00:00 +01:00),
            datetime!(9999-12-31 23:30 -01:00),
        ] {
            assert_eq!(rfc3339_utc(unwritable), None, "{unwritable}");
        }
    }
}
