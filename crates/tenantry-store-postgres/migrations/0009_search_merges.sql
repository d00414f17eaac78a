-- SQLite's migration 9 has its FTS5 trigram indexes merge sixteen segments at a time. The
-- trigram GIN indexes here have no such setting, so this one changes nothing. It exists
-- because both stores number their schema the same way: a dump records the schema it was
-- taken at, and an import checks it against the other store's.
SELECT 1;
