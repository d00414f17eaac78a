-- Mail that must not be lost: the transactional outbox, written in the same transaction as the
-- change that caused the mail, and single-use tokens for email verification and password reset.

CREATE TABLE mail_outbox (
    id               BIGSERIAL   PRIMARY KEY,
    kind             TEXT        COLLATE "C" NOT NULL,
    recipient        TEXT        NOT NULL,
    tenant_id        BIGINT      NOT NULL,
    account_path     TEXT        COLLATE "C" NOT NULL,
    user_id          BIGINT,
    params           JSONB       NOT NULL,
    -- The plain token the mail's link carries, kept only until the mail is delivered or given up.
    token            TEXT,
    status           TEXT        COLLATE "C" NOT NULL,
    attempts         BIGINT      NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    claimed_until    TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_path ON mail_outbox (account_path, id);
-- Withdrawing a user's mails (address changed, invitation revoked or resent).
CREATE INDEX mail_outbox_user ON mail_outbox (user_id) WHERE token IS NOT NULL;

CREATE TABLE user_tokens (
    id          BIGSERIAL   PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT        COLLATE "C" NOT NULL,
    token_hash  BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX user_tokens_hash ON user_tokens (token_hash);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);
