-- New rows reach the free-text (FTS5) index once per group commit instead of once per write.
-- Group commit runs each write in a savepoint, and FTS5 writes its pending terms to disk as a
-- new index segment at every savepoint release: one segment per created user, each later
-- merged, often inside some write that every other write then waits for. Now the insert
-- triggers only note the row here, and the writer moves the noted rows' text into the index
-- in one statement just before the group's COMMIT (group_commit.rs, INDEX_NEW_ROWS), so a
-- reader never sees a row that free-text search cannot find.
CREATE TABLE search_pending (
    tbl TEXT NOT NULL CHECK (tbl IN ('accounts', 'users')),
    id INTEGER NOT NULL,
    PRIMARY KEY (tbl, id)
) WITHOUT ROWID;

-- A row still noted has no entry in the index: a change to its text needs no index work (the
-- text indexed at commit is the latest), and its deletion only drops the note.
DROP TRIGGER accounts_search_insert;
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO search_pending (tbl, id) VALUES ('accounts', new.id);
END;
DROP TRIGGER accounts_search_delete;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text)
        SELECT 'delete', old.id, old.search_text
        WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'accounts' AND id = old.id);
    DELETE FROM search_pending WHERE tbl = 'accounts' AND id = old.id;
END;
DROP TRIGGER accounts_search_update;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF search_text ON accounts
WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'accounts' AND id = old.id) BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO accounts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

DROP TRIGGER users_search_insert;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO search_pending (tbl, id) VALUES ('users', new.id);
END;
DROP TRIGGER users_search_delete;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search_text)
        SELECT 'delete', old.id, old.search_text
        WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'users' AND id = old.id);
    DELETE FROM search_pending WHERE tbl = 'users' AND id = old.id;
END;
DROP TRIGGER users_search_update;
CREATE TRIGGER users_search_update AFTER UPDATE OF search_text ON users
WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'users' AND id = old.id) BEGIN
    INSERT INTO users_search (users_search, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    INSERT INTO users_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
