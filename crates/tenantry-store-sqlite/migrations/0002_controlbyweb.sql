-- What the ControlByWeb surface needs beyond the first schema: an account's log-retention
-- level, when a user verified their address and agreed to the terms, a device's connection
-- and cellular flags, and the two kinds of ControlByWeb token.

ALTER TABLE accounts ADD COLUMN log_retention INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
ALTER TABLE users ADD COLUMN terms_agreed_at INTEGER;
-- Addresses verified before this migration: the best date known is the last change.
UPDATE users SET email_verified_at = updated_at WHERE email_verified;
ALTER TABLE devices ADD COLUMN is_cell INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN connected INTEGER NOT NULL DEFAULT 0;

-- Certificate request tokens: multi-use until they expire, for one account. Only a hash and
-- the nonce the token is derived from are kept (see tenantry_core::auth::certificate_token).
CREATE TABLE certificate_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash    BLOB    NOT NULL,
    nonce         BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX certificate_tokens_hash ON certificate_tokens (token_hash);
CREATE INDEX certificate_tokens_account ON certificate_tokens (account_id, expires_at);

-- Device seat tokens: minted by the operator, redeemed once by any account for more seats.
CREATE TABLE seat_tokens (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash            BLOB    NOT NULL,
    seats                 INTEGER NOT NULL CHECK (seats > 0),
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    redeemed_by_account   INTEGER,
    redeemed_at           INTEGER
);
CREATE UNIQUE INDEX seat_tokens_hash ON seat_tokens (token_hash);
