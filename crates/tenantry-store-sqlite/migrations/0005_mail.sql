-- Mail that must not be lost: the transactional outbox, written in the same transaction as the
-- change that caused the mail, and single-use tokens for email verification and password reset.

CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    recipient        TEXT    NOT NULL,
    tenant_id        INTEGER NOT NULL,
    account_path     TEXT    NOT NULL,
    user_id          INTEGER,
    params           TEXT    NOT NULL,
    -- The plain token the mail's link carries, kept only until the mail is delivered or given up.
    token            TEXT,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_path ON mail_outbox (account_path, id);
-- Withdrawing a user's mails (address changed, invitation revoked or resent).
CREATE INDEX mail_outbox_user ON mail_outbox (user_id) WHERE token IS NOT NULL;

CREATE TABLE user_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE UNIQUE INDEX user_tokens_hash ON user_tokens (token_hash);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);
