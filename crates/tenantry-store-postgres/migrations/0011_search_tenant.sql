-- SQLite's migration 11 has its FTS5 trigram indexes hold each row's tenant, so a tenant's
-- search asks the index for that tenant's matches alone. The trigram GIN indexes here stay as
-- they are, so this one changes nothing. It exists because both stores number their schema the
-- same way: a dump records the schema it was taken at, and an import checks it against the
-- other store's.
SELECT 1;
