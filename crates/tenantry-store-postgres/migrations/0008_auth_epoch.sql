-- The revocation counter. Servers cache what a bearer token stands for, and trust a cached
-- answer only while this counter keeps the value it had when the answer was looked up. Every
-- change to what a token stands for bumps it, in the same transaction, whoever makes it: this
-- server, another server on the database, or the command line.
CREATE TABLE auth_epoch (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    value BIGINT   NOT NULL
);
INSERT INTO auth_epoch (id, value) VALUES (1, 0);

-- Once per transaction: the counter says that something changed, not how much, and moving a
-- branch of the tree changes thousands of users. The row stays locked until the transaction
-- ends, so revocations from concurrent transactions take turns; they are rare and short.
CREATE FUNCTION bump_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tenantry.auth_epoch_bumped', true) IS DISTINCT FROM 'yes' THEN
        UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
        PERFORM set_config('tenantry.auth_epoch_bumped', 'yes', true);
    END IF;
    RETURN NULL;
END
$$;

-- A session ended, or its access token rotated or shortened.
CREATE TRIGGER sessions_revoke_update
AFTER UPDATE OF user_id, access_hash, access_expires_at ON sessions FOR EACH ROW
WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.access_hash IS DISTINCT FROM NEW.access_hash
    OR OLD.access_expires_at IS DISTINCT FROM NEW.access_expires_at)
EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER sessions_revoke_delete AFTER DELETE ON sessions
FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

-- A user disabled, moved, or given another role; or deleted.
CREATE TRIGGER users_revoke_update
AFTER UPDATE OF tenant_id, account_id, account_path, role, status ON users FOR EACH ROW
WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.account_id IS DISTINCT FROM NEW.account_id
    OR OLD.account_path IS DISTINCT FROM NEW.account_path OR OLD.role IS DISTINCT FROM NEW.role
    OR OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER users_revoke_delete AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

-- An account suspended or deactivated; or deleted.
CREATE TRIGGER accounts_revoke_update AFTER UPDATE OF status ON accounts FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER accounts_revoke_delete AFTER DELETE ON accounts
FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

-- A service token revoked, its expiry changed, or deleted.
CREATE TRIGGER api_tokens_revoke_update
AFTER UPDATE OF token_hash, expires_at, revoked_at ON api_tokens FOR EACH ROW
WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
    OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
EXECUTE FUNCTION bump_auth_epoch();
CREATE TRIGGER api_tokens_revoke_delete AFTER DELETE ON api_tokens
FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();
