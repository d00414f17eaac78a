-- What the ControlByWeb surface needs beyond the first schema: an account's log-retention
-- level, when a user verified their address and agreed to the terms, a device's connection
-- and cellular flags, and the two kinds of ControlByWeb token.

ALTER TABLE accounts ADD COLUMN log_retention BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN terms_agreed_at TIMESTAMPTZ;
-- Addresses verified before this migration: the best date known is the last change.
UPDATE users SET email_verified_at = updated_at WHERE email_verified;
ALTER TABLE devices ADD COLUMN is_cell BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE devices ADD COLUMN connected BOOLEAN NOT NULL DEFAULT FALSE;

-- Certificate request tokens: multi-use until they expire, for one account. Only a hash and
-- the nonce the token is derived from are kept (see tenantry_core::auth::certificate_token).
CREATE TABLE certificate_tokens (
    id            BIGSERIAL   PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL,
    account_id    BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash    BYTEA       NOT NULL,
    nonce         BYTEA       NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX certificate_tokens_hash ON certificate_tokens (token_hash);
CREATE INDEX certificate_tokens_account ON certificate_tokens (account_id, expires_at);

-- Device seat tokens: minted by the operator, redeemed once by any account for more seats.
CREATE TABLE seat_tokens (
    id                    BIGSERIAL   PRIMARY KEY,
    token_hash            BYTEA       NOT NULL,
    seats                 BIGINT      NOT NULL CHECK (seats > 0),
    created_at            TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL,
    redeemed_by_account   BIGINT,
    redeemed_at           TIMESTAMPTZ
);
CREATE UNIQUE INDEX seat_tokens_hash ON seat_tokens (token_hash);
