-- Brute-force protection: wrong passwords in a row per user (and until when they are locked
-- out), and failed logins per client address within a window.

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;

CREATE TABLE login_address_failures (
    address       TEXT    PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    failures      INTEGER NOT NULL
);
CREATE INDEX login_address_failures_window ON login_address_failures (window_start);
