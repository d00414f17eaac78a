-- Tenantry schema for SQLite.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC): compact, and they sort.
-- Every tenant-owned row carries tenant_id (its root account's id), first in its indexes, so
-- tenant-scoped queries stay narrow and the data can later be distributed by tenant.
-- account_path ('/root/…/self/') is copied onto rows below an account: paths never change, and
-- "everything in this subtree" becomes one index range scan.

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL,
    parent_id       INTEGER REFERENCES accounts (id) ON DELETE RESTRICT,
    path            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    name_norm       TEXT    NOT NULL,
    email           TEXT,
    email_norm      TEXT,
    description     TEXT,
    external_id     TEXT,
    search_text     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'deactivated')),
    device_seats    INTEGER NOT NULL CHECK (device_seats >= 0),
    used_devices    INTEGER NOT NULL DEFAULT 0 CHECK (used_devices >= 0),
    children_seats  INTEGER NOT NULL DEFAULT 0 CHECK (children_seats >= 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    activity_at     INTEGER NOT NULL,
    -- The seat invariant, as a last line of defence behind the checks in code.
    CHECK (device_seats - used_devices - children_seats >= 0)
);
CREATE UNIQUE INDEX accounts_path ON accounts (path);
CREATE INDEX accounts_tenant_parent ON accounts (tenant_id, parent_id, id);
CREATE INDEX accounts_tenant_path ON accounts (tenant_id, path);
CREATE INDEX accounts_tenant_id ON accounts (tenant_id, id);
CREATE INDEX accounts_name ON accounts (name_norm, id);
CREATE INDEX accounts_email ON accounts (email_norm);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE UNIQUE INDEX accounts_tenant_external_id ON accounts (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path    TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    email_norm      TEXT    NOT NULL,
    username        TEXT,
    username_norm   TEXT,
    first_name      TEXT,
    first_name_norm TEXT,
    last_name       TEXT,
    last_name_norm  TEXT,
    search_text     TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('user', 'admin', 'owner')),
    status          TEXT    NOT NULL CHECK (status IN ('active', 'disabled')),
    email_verified  INTEGER NOT NULL DEFAULT 0,
    password_hash   TEXT,
    last_login_at   INTEGER,
    preferences     TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_norm ON users (email_norm);
-- Keyset pages sorted by email walk this one.
CREATE INDEX users_email_sort ON users (email_norm, id);
CREATE UNIQUE INDEX users_username_norm ON users (username_norm) WHERE username_norm IS NOT NULL;
CREATE INDEX users_tenant_id ON users (tenant_id, id);
CREATE INDEX users_tenant_account ON users (tenant_id, account_id, id);
CREATE INDEX users_tenant_path ON users (tenant_id, account_path, id);
CREATE INDEX users_first_name ON users (first_name_norm, id);
CREATE INDEX users_last_name ON users (last_name_norm, id);
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id           INTEGER NOT NULL,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_hash         BLOB    NOT NULL,
    refresh_hash        BLOB    NOT NULL,
    access_expires_at   INTEGER NOT NULL,
    refresh_expires_at  INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX sessions_access_hash ON sessions (access_hash);
CREATE UNIQUE INDEX sessions_refresh_hash ON sessions (refresh_hash);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_refresh_expiry ON sessions (refresh_expires_at);

-- Service owner tokens belong to the installation, not to a tenant.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE devices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path  TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    name_norm     TEXT    NOT NULL,
    serial        TEXT    NOT NULL,
    is_test       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_tenant_serial ON devices (tenant_id, serial);
CREATE INDEX devices_tenant_id ON devices (tenant_id, id);
CREATE INDEX devices_tenant_account ON devices (tenant_id, account_id, id);
CREATE INDEX devices_tenant_path ON devices (tenant_id, account_path, id);
CREATE INDEX devices_name ON devices (name_norm, id);
CREATE INDEX devices_created ON devices (created_at, id);

-- Audit records outlive what they describe, so no foreign keys here.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER,
    account_path  TEXT,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    target_type   TEXT    NOT NULL,
    target_id     INTEGER,
    request_id    TEXT,
    details       TEXT    NOT NULL DEFAULT 'null',
    at            INTEGER NOT NULL
);
CREATE INDEX audit_tenant_path ON audit_log (tenant_id, account_path, id);
CREATE INDEX audit_tenant_id ON audit_log (tenant_id, id);

-- Free-text search: FTS5 with the trigram tokenizer over search_text (folded by the service),
-- so `q=` is a substring match answered from an index. External-content tables, kept in step
-- with their rows by triggers.
CREATE VIRTUAL TABLE accounts_search USING fts5(
    search_text, content = 'accounts', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF search_text ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO accounts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE VIRTUAL TABLE users_search USING fts5(
    search_text, content = 'users', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF search_text ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO users_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- Invitations for users created without a password; the token is stored only as a hash.
CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path  TEXT    NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    token_hash    BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    accepted_at   INTEGER,
    revoked_at    INTEGER
);
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
CREATE INDEX invitations_tenant_user ON invitations (tenant_id, user_id, id);
CREATE INDEX invitations_user ON invitations (user_id);

-- Secrets of the installation (e.g. the cursor-signing key), shared by every server.
CREATE TABLE installation_secrets (
    name        TEXT    PRIMARY KEY,
    secret      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
