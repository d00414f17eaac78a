-- Brute-force protection: wrong passwords in a row per user (and until when they are locked
-- out), and failed logins per client address within a window.

ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;

CREATE TABLE login_address_failures (
    address       TEXT        COLLATE "C" PRIMARY KEY,
    window_start  TIMESTAMPTZ NOT NULL,
    failures      BIGINT      NOT NULL
);
CREATE INDEX login_address_failures_window ON login_address_failures (window_start);
