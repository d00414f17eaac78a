//! Device-seat arithmetic.
//!
//! `free(a) = seats(a) − used(a) − Σ seats(children of a)`, and `free(a) ≥ 0` always. Seats only
//! move between a parent and a direct child; a root's allocation is set by the service.
//!
//! Stores call these checks inside the transaction that makes the change, on rows they have
//! locked, so the rule is written once here and still holds with many servers on one database.

use crate::error::{Error, Result};
use crate::model::Account;

/// Upper bound on any allocation, far above any real fleet and far below integer overflow.
pub const MAX_SEATS: i64 = 1_000_000_000;

pub fn free(seats: i64, used: i64, children_seats: i64) -> i64 {
    seats - used - children_seats
}

/// The three numbers that decide an account's free seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatState {
    pub seats: i64,
    pub used: i64,
    pub children_seats: i64,
}

impl SeatState {
    pub fn of(account: &Account) -> SeatState {
        SeatState {
            seats: account.device_seats,
            used: account.used_devices,
            children_seats: account.children_seats,
        }
    }

    pub fn free(&self) -> i64 {
        free(self.seats, self.used, self.children_seats)
    }
}

pub fn validate_allocation(seats: i64) -> Result<()> {
    if !(0..=MAX_SEATS).contains(&seats) {
        return Err(Error::invalid_field(
            "device_seats",
            format!("must be between 0 and {MAX_SEATS}"),
        ));
    }
    Ok(())
}

/// A new child takes `seats` from its parent's free seats.
pub fn check_new_child(parent: SeatState, seats: i64) -> Result<()> {
    validate_allocation(seats)?;
    if seats > parent.free() {
        return Err(not_enough("the parent account", parent.free(), seats));
    }
    Ok(())
}

/// Moves `delta` seats from `parent` to its direct `child` (a negative delta gives seats back).
pub fn check_move(parent: SeatState, child: SeatState, delta: i64) -> Result<()> {
    if !(-MAX_SEATS..=MAX_SEATS).contains(&delta) {
        return Err(Error::invalid_field(
            "seats",
            format!("must be between -{MAX_SEATS} and {MAX_SEATS}"),
        ));
    }
    validate_allocation(child.seats.saturating_add(delta))?;
    if delta > 0 && delta > parent.free() {
        return Err(not_enough("the parent account", parent.free(), delta));
    }
    if delta < 0 && -delta > child.free() {
        return Err(not_enough("the child account", child.free(), -delta));
    }
    Ok(())
}

/// A root's allocation may change freely, but never below what it has used or handed down.
pub fn check_set_root(root: SeatState, new_seats: i64) -> Result<()> {
    validate_allocation(new_seats)?;
    let committed = root.used + root.children_seats;
    if new_seats < committed {
        return Err(Error::invalid_field(
            "device_seats",
            format!(
                "cannot be less than {committed}: {} used by devices and {} allocated to child accounts",
                root.used, root.children_seats
            ),
        ));
    }
    Ok(())
}

/// A non-test device needs one free seat.
pub fn check_add_device(account: SeatState) -> Result<()> {
    if account.free() < 1 {
        return Err(Error::invalid_field(
            "is_test",
            format!(
                "the account has no free device seat ({} seats: {} used by devices, {} allocated to child accounts); add seats or register a test device",
                account.seats, account.used, account.children_seats
            ),
        ));
    }
    Ok(())
}

fn not_enough(whose: &str, free: i64, wanted: i64) -> Error {
    Error::invalid_field(
        "device_seats",
        format!("{whose} has {free} free seats, {wanted} needed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(seats: i64, used: i64, children_seats: i64) -> SeatState {
        SeatState {
            seats,
            used,
            children_seats,
        }
    }

    #[test]
    fn new_children_take_only_free_seats() {
        let parent = state(10, 3, 4);
        assert!(check_new_child(parent, 3).is_ok());
        assert!(check_new_child(parent, 4).is_err());
        assert!(check_new_child(parent, -1).is_err());
    }

    #[test]
    fn moves_respect_both_sides() {
        let parent = state(10, 0, 5);
        let child = state(5, 2, 1);
        assert!(check_move(parent, child, 5).is_ok());
        assert!(check_move(parent, child, 6).is_err());
        assert!(check_move(parent, child, -2).is_ok());
        assert!(
            check_move(parent, child, -3).is_err(),
            "child would go below used + children"
        );
        assert!(check_move(parent, child, i64::MAX).is_err());
        assert!(check_move(parent, child, i64::MIN).is_err());
    }

    #[test]
    fn roots_and_devices() {
        assert!(check_set_root(state(10, 2, 3), 5).is_ok());
        assert!(check_set_root(state(10, 2, 3), 4).is_err());
        assert!(check_set_root(state(0, 0, 0), MAX_SEATS + 1).is_err());
        assert!(check_add_device(state(1, 0, 0)).is_ok());
        assert!(check_add_device(state(1, 1, 0)).is_err());
        assert!(check_add_device(state(2, 0, 2)).is_err());
    }
}
