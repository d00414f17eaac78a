-- The trigram indexes merge their segments sixteen at a time instead of four.
--
-- FTS5 writes the terms of each transaction as a new segment, and merges segments once
-- `automerge` of them (default 4) have piled up at one level, inside the write that tipped
-- them over. With four, `create-user` spent most of the writer's time merging (perf: 23 % of
-- the server's CPU, against 3 % writing the new segments), and the largest merges set its
-- p99. Merging sixteen at once copies each term through fewer levels: on a fresh million-user
-- seed `create-user` went from 3,640 to 4,650 new users a second and its p99 from 42 to 10 ms.
-- The price is up to fifteen segments a level for a search to look in instead of three: after
-- 150,000 new users `search-text` alone took 1.55 ms at p50 against 1.39 ms (and `search-scim`,
-- which reads no trigram index, 0.93 against 0.88 ms in the same runs).
INSERT INTO users_search (users_search, rank) VALUES ('automerge', 16);
INSERT INTO accounts_search (accounts_search, rank) VALUES ('automerge', 16);
