-- What the Cloud Elements surface needs: user and organization secrets (a nonce each, from
-- which the secret is derived, and the secret's hash), and the roles granted to accounts.

CREATE TABLE user_secrets (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    nonce        BLOB    NOT NULL,
    secret_hash  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_secrets_hash ON user_secrets (secret_hash);

CREATE TABLE organization_secrets (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    nonce        BLOB    NOT NULL,
    secret_hash  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX organization_secrets_hash ON organization_secrets (secret_hash);

CREATE TABLE account_roles (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_key     TEXT    NOT NULL,
    granted_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, role_key)
);
