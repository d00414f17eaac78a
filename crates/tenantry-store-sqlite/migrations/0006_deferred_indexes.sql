-- Secondary indexes set aside while an import fills an empty installation: building an index
-- once over every loaded row is far cheaper than keeping it up to date row by row. Each is
-- recorded here in the transaction that drops it, and rebuilt when the import finishes, or by
-- the next start (migration) if the import died first.
CREATE TABLE deferred_indexes (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
