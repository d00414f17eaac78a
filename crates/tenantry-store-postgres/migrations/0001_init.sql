-- Tenantry schema for PostgreSQL.
-- Every tenant-owned row carries tenant_id (its root account's id), first in its indexes, so
-- tenant-scoped queries stay narrow and the tables can later be distributed by tenant.
-- account_path ('/root/…/self/') is copied onto rows below an account: paths never change, and
-- "everything in this subtree" is one index range scan. Paths use COLLATE "C" so that range is
-- byte-wise whatever the database's locale.
-- Every text column compares byte-wise (COLLATE "C"), like SQLite: prefix ranges, sorting and
-- LIKE behave the same on both stores, and B-tree indexes serve LIKE 'prefix%'.
-- Objects are created unqualified, in the first schema of the search_path. Free-text search
-- needs the pg_trgm extension (trusted since PostgreSQL 13, so a database owner may create it).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE accounts (
    id              BIGINT      PRIMARY KEY,
    tenant_id       BIGINT      NOT NULL,
    parent_id       BIGINT      REFERENCES accounts (id) ON DELETE RESTRICT,
    path            TEXT        COLLATE "C" NOT NULL,
    name            TEXT        COLLATE "C" NOT NULL,
    name_norm       TEXT        COLLATE "C" NOT NULL,
    email           TEXT        COLLATE "C",
    email_norm      TEXT        COLLATE "C",
    description     TEXT        COLLATE "C",
    external_id     TEXT        COLLATE "C",
    search_text     TEXT        COLLATE "C" NOT NULL,
    status          TEXT        COLLATE "C" NOT NULL CHECK (status IN ('active', 'suspended', 'deactivated')),
    device_seats    BIGINT      NOT NULL CHECK (device_seats >= 0),
    used_devices    BIGINT      NOT NULL DEFAULT 0 CHECK (used_devices >= 0),
    children_seats  BIGINT      NOT NULL DEFAULT 0 CHECK (children_seats >= 0),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    activity_at     TIMESTAMPTZ NOT NULL,
    -- The seat invariant, as a last line of defence behind the checks in code.
    CONSTRAINT accounts_free_seats CHECK (device_seats - used_devices - children_seats >= 0)
);
-- Ids come from the sequence before the insert, so a root's tenant_id and path are known at once.
CREATE SEQUENCE accounts_id_seq OWNED BY accounts.id;
CREATE UNIQUE INDEX accounts_path ON accounts (path);
CREATE INDEX accounts_tenant_parent ON accounts (tenant_id, parent_id, id);
CREATE INDEX accounts_tenant_path ON accounts (tenant_id, path);
CREATE INDEX accounts_tenant_id ON accounts (tenant_id, id);
CREATE INDEX accounts_name ON accounts (name_norm, id);
CREATE INDEX accounts_email ON accounts (email_norm);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_search ON accounts USING gin (search_text gin_trgm_ops);
CREATE UNIQUE INDEX accounts_tenant_external_id ON accounts (tenant_id, external_id)
    WHERE external_id IS NOT NULL;

CREATE TABLE users (
    id              BIGSERIAL   PRIMARY KEY,
    tenant_id       BIGINT      NOT NULL,
    account_id      BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path    TEXT        COLLATE "C" NOT NULL,
    email           TEXT        COLLATE "C" NOT NULL,
    email_norm      TEXT        COLLATE "C" NOT NULL,
    username        TEXT        COLLATE "C",
    username_norm   TEXT        COLLATE "C",
    first_name      TEXT        COLLATE "C",
    first_name_norm TEXT        COLLATE "C",
    last_name       TEXT        COLLATE "C",
    last_name_norm  TEXT        COLLATE "C",
    search_text     TEXT        COLLATE "C" NOT NULL,
    role            TEXT        COLLATE "C" NOT NULL CHECK (role IN ('user', 'admin', 'owner')),
    status          TEXT        COLLATE "C" NOT NULL CHECK (status IN ('active', 'disabled')),
    email_verified  BOOLEAN     NOT NULL DEFAULT FALSE,
    password_hash   TEXT        COLLATE "C",
    last_login_at   TIMESTAMPTZ,
    preferences     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
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
CREATE INDEX users_search ON users USING gin (search_text gin_trgm_ops);

CREATE TABLE sessions (
    id                  BIGSERIAL   PRIMARY KEY,
    tenant_id           BIGINT      NOT NULL,
    user_id             BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_hash         BYTEA       NOT NULL,
    refresh_hash        BYTEA       NOT NULL,
    access_expires_at   TIMESTAMPTZ NOT NULL,
    refresh_expires_at  TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sessions_access_hash ON sessions (access_hash);
CREATE UNIQUE INDEX sessions_refresh_hash ON sessions (refresh_hash);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_refresh_expiry ON sessions (refresh_expires_at);

-- Service owner tokens belong to the installation, not to a tenant.
CREATE TABLE api_tokens (
    id          BIGSERIAL   PRIMARY KEY,
    name        TEXT        COLLATE "C" NOT NULL,
    token_hash  BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE devices (
    id            BIGSERIAL   PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL,
    account_id    BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path  TEXT        COLLATE "C" NOT NULL,
    name          TEXT        COLLATE "C" NOT NULL,
    name_norm     TEXT        COLLATE "C" NOT NULL,
    serial        TEXT        COLLATE "C" NOT NULL,
    is_test       BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX devices_tenant_serial ON devices (tenant_id, serial);
CREATE INDEX devices_tenant_id ON devices (tenant_id, id);
CREATE INDEX devices_tenant_account ON devices (tenant_id, account_id, id);
CREATE INDEX devices_tenant_path ON devices (tenant_id, account_path, id);
CREATE INDEX devices_name ON devices (name_norm, id);
CREATE INDEX devices_created ON devices (created_at, id);

-- Audit records outlive what they describe, so no foreign keys here.
CREATE TABLE audit_log (
    id            BIGSERIAL   PRIMARY KEY,
    tenant_id     BIGINT,
    account_path  TEXT        COLLATE "C",
    actor         TEXT        COLLATE "C" NOT NULL,
    action        TEXT        COLLATE "C" NOT NULL,
    target_type   TEXT        COLLATE "C" NOT NULL,
    target_id     BIGINT,
    request_id    TEXT        COLLATE "C",
    details       JSONB       NOT NULL DEFAULT 'null'::jsonb,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_tenant_path ON audit_log (tenant_id, account_path, id);
CREATE INDEX audit_tenant_id ON audit_log (tenant_id, id);

-- Invitations for users created without a password; the token is stored only as a hash.
CREATE TABLE invitations (
    id            BIGSERIAL   PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL,
    account_id    BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_path  TEXT        COLLATE "C" NOT NULL,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT        COLLATE "C" NOT NULL,
    role          TEXT        COLLATE "C" NOT NULL,
    token_hash    BYTEA       NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    accepted_at   TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
CREATE INDEX invitations_tenant_user ON invitations (tenant_id, user_id, id);
CREATE INDEX invitations_user ON invitations (user_id);

-- Secrets of the installation (e.g. the cursor-signing key), shared by every server.
CREATE TABLE installation_secrets (
    name        TEXT COLLATE "C" PRIMARY KEY,
    secret      BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
