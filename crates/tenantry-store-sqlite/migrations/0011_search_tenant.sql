-- The trigram indexes also index each row's tenant, so a search within a tenant (or a part of
-- one) asks the index for the matches in that tenant alone.
--
-- Before, such a search read every match in every tenant and tested each one's tenant (in the
-- `(tenant_id, id)` index): a term common elsewhere and rare in the tenant cost thousands of
-- tests. In an 82,000-user tenant among a million users, by hand over 394 five-letter terms,
-- 2.5-3.1 ms a search on average and 24-29 ms at the 99th percentile, against 1.8-2.0 and
-- 9.6-10.7 ms asking for `"term" AND "<tenant's key>"`. A search across every tenant is
-- unchanged.
--
-- The key is one trigram, so one term of the index: the control character U+0001, which no
-- search text may hold (clients' text with control characters is refused), and the tenant id's
-- two low 16-bit halves as characters of the private use plane U+F0000-U+FFFFF. A tenant id
-- past 2^32 shares its key with another tenant; the search still tests each row's tenant, so
-- that costs time, never a wrong answer. `tenantry_store_sql::search_tenant_key` writes the
-- same key for a query.
--
-- Rebuilding both indexes takes about 15 s at a million users, once.
ALTER TABLE users ADD COLUMN search_tenant TEXT GENERATED ALWAYS AS (
    char(1, 983040 + ((tenant_id >> 16) & 65535), 983040 + (tenant_id & 65535))
) VIRTUAL;
ALTER TABLE accounts ADD COLUMN search_tenant TEXT GENERATED ALWAYS AS (
    char(1, 983040 + ((tenant_id >> 16) & 65535), 983040 + (tenant_id & 65535))
) VIRTUAL;

-- An import that died with the insert triggers set aside: they are made anew here, and the
-- indexes rebuilt from the rows.
DELETE FROM deferred_indexes WHERE name IN ('users_search_insert', 'accounts_search_insert');

DROP TRIGGER IF EXISTS users_search_insert;
DROP TRIGGER IF EXISTS users_search_delete;
DROP TRIGGER IF EXISTS users_search_update;
DROP TABLE users_search;
CREATE VIRTUAL TABLE users_search USING fts5(
    search_text, search_tenant, content = 'users', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, search_text, search_tenant)
        VALUES (new.id, new.search_text, new.search_tenant);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search_text, search_tenant)
        VALUES ('delete', old.id, old.search_text, old.search_tenant);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF search_text, tenant_id ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search_text, search_tenant)
        VALUES ('delete', old.id, old.search_text, old.search_tenant);
    INSERT INTO users_search (rowid, search_text, search_tenant)
        VALUES (new.id, new.search_text, new.search_tenant);
END;

DROP TRIGGER IF EXISTS accounts_search_insert;
DROP TRIGGER IF EXISTS accounts_search_delete;
DROP TRIGGER IF EXISTS accounts_search_update;
DROP TABLE accounts_search;
CREATE VIRTUAL TABLE accounts_search USING fts5(
    search_text, search_tenant, content = 'accounts', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO accounts_search (rowid, search_text, search_tenant)
        VALUES (new.id, new.search_text, new.search_tenant);
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text, search_tenant)
        VALUES ('delete', old.id, old.search_text, old.search_tenant);
END;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF search_text, tenant_id ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text, search_tenant)
        VALUES ('delete', old.id, old.search_text, old.search_tenant);
    INSERT INTO accounts_search (rowid, search_text, search_tenant)
        VALUES (new.id, new.search_text, new.search_tenant);
END;

-- As migrations 9 and 10 set them for the tables this one replaces.
INSERT INTO users_search (users_search, rank) VALUES ('automerge', 16);
INSERT INTO users_search (users_search, rank) VALUES ('usermerge', 2);
INSERT INTO accounts_search (accounts_search, rank) VALUES ('automerge', 16);
INSERT INTO accounts_search (accounts_search, rank) VALUES ('usermerge', 2);
-- One segment each, as an import leaves them (see deferred_indexes.rs).
INSERT INTO users_search (users_search) VALUES ('rebuild');
INSERT INTO users_search (users_search) VALUES ('optimize');
INSERT INTO accounts_search (accounts_search) VALUES ('rebuild');
INSERT INTO accounts_search (accounts_search) VALUES ('optimize');
