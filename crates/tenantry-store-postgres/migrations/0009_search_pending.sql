-- Nothing to change here. SQLite's migration 9 defers its FTS5 index entries for new rows to
-- each group commit; PostgreSQL's trigram (GIN) indexes are kept by the indexes themselves.
-- Both stores keep the same numbering because a dump's "schema" is their common schema
-- version: an import checks it against the target's newest migration.
SELECT 1;
