-- The revocation counter. Servers cache what a bearer token stands for, and trust a cached
-- answer only while this counter keeps the value it had when the answer was looked up. Every
-- change to what a token stands for bumps it, in the same transaction, whoever makes it: a
-- server, another server, or the command line.
CREATE TABLE auth_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, value) VALUES (1, 0);

-- A session ended, or its access token rotated or shortened.
CREATE TRIGGER sessions_revoke_update AFTER UPDATE OF user_id, access_hash, access_expires_at ON sessions
WHEN OLD.user_id IS NOT NEW.user_id OR OLD.access_hash IS NOT NEW.access_hash
    OR OLD.access_expires_at IS NOT NEW.access_expires_at
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER sessions_revoke_delete AFTER DELETE ON sessions
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;

-- A user disabled, moved, or given another role; or deleted.
CREATE TRIGGER users_revoke_update
AFTER UPDATE OF tenant_id, account_id, account_path, role, status ON users
WHEN OLD.tenant_id IS NOT NEW.tenant_id OR OLD.account_id IS NOT NEW.account_id
    OR OLD.account_path IS NOT NEW.account_path OR OLD.role IS NOT NEW.role
    OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER users_revoke_delete AFTER DELETE ON users
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;

-- An account suspended or deactivated; or deleted.
CREATE TRIGGER accounts_revoke_update AFTER UPDATE OF status ON accounts
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER accounts_revoke_delete AFTER DELETE ON accounts
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;

-- A service token revoked, its expiry changed, or deleted.
CREATE TRIGGER api_tokens_revoke_update
AFTER UPDATE OF token_hash, expires_at, revoked_at ON api_tokens
WHEN OLD.token_hash IS NOT NEW.token_hash OR OLD.expires_at IS NOT NEW.expires_at
    OR OLD.revoked_at IS NOT NEW.revoked_at
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER api_tokens_revoke_delete AFTER DELETE ON api_tokens
BEGIN
    UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
END;
