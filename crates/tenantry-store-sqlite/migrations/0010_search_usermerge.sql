-- The trigram indexes' explicit merges ('merge' commands) merge a level once it holds two
-- segments, instead of four.
--
-- With automerge at sixteen (migration 9) segments pile up while users are written: after
-- 240,000 new users on a million, the users' index was in 37 segments and an FTS query alone
-- took 0.38 ms against 0.13 ms in one. The checkpoint thread now runs 'merge' steps while no
-- write comes (search_merges.rs); at two a level, they leave about one segment a level (three
-- in that run, 0.14 ms a query). `usermerge` only governs those commands, never the merges
-- inside a write.
INSERT INTO users_search (users_search, rank) VALUES ('usermerge', 2);
INSERT INTO accounts_search (accounts_search, rank) VALUES ('usermerge', 2);
