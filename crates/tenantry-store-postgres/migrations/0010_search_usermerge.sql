-- SQLite's migration 10 sets how its FTS5 trigram indexes merge while the database is quiet.
-- The trigram GIN indexes here have no such setting, so this one changes nothing. It exists
-- because both stores number their schema the same way: a dump records the schema it was
-- taken at, and an import checks it against the other store's.
SELECT 1;
