use std::path::Path;
use std::sync::mpsc::{Sender, channel};

use super::*;

/// A database whose users' trigram index is in many segments: each transaction writes one.
pub(crate) fn fragmented(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; \
         CREATE VIRTUAL TABLE users_search USING fts5 (search_text, tokenize = 'trigram'); \
         INSERT INTO users_search (users_search, rank) VALUES ('automerge', 16); \
         INSERT INTO users_search (users_search, rank) VALUES ('usermerge', 2);",
    )
    .unwrap();
    for i in 0..40 {
        conn.execute(
            "INSERT INTO users_search (search_text) VALUES (?)",
            [format!("user{i}@example.test mendes")],
        )
        .unwrap();
    }
    conn
}

pub(crate) fn segments(conn: &Connection) -> i64 {
    conn.query_row(
        "SELECT count(DISTINCT segid) FROM users_search_idx",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

/// A channel with no notice waiting, and its sender kept alive by the caller.
fn quiet() -> (Sender<()>, Receiver<()>) {
    channel()
}

const LONG: Duration = Duration::from_secs(60);

#[test]
fn merging_leaves_about_a_segment_a_level_and_then_finds_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let conn = fragmented(&dir.path().join("db"));
    let before = segments(&conn);
    assert!(before > 5, "{before} segments to start with");
    let (_sender, woken) = quiet();
    assert_eq!(merge_for(&conn, &woken, LONG).unwrap(), Merged::Done);
    let after = segments(&conn);
    assert!(after <= 2, "{before} segments merged into {after}");
    // The search still finds every row.
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM users_search WHERE users_search MATCH '\"mendes\"'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(found, 40);
    assert_eq!(merge_for(&conn, &woken, LONG).unwrap(), Merged::Done);
    assert_eq!(segments(&conn), after);
}

#[test]
fn a_commit_told_of_stops_merging_before_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let conn = fragmented(&dir.path().join("db"));
    let before = segments(&conn);
    let (sender, woken) = quiet();
    sender.send(()).unwrap();
    assert_eq!(merge_for(&conn, &woken, LONG).unwrap(), Merged::Interrupted);
    assert_eq!(segments(&conn), before);
    drop(sender);
    assert_eq!(merge_for(&conn, &woken, LONG).unwrap(), Merged::Closed);
}

#[test]
fn a_spent_slice_leaves_the_rest_for_later() {
    let dir = tempfile::tempdir().unwrap();
    let conn = fragmented(&dir.path().join("db"));
    let (_sender, woken) = quiet();
    assert_eq!(
        merge_for(&conn, &woken, Duration::ZERO).unwrap(),
        Merged::More
    );
}

#[test]
fn a_write_holding_the_database_stops_merging_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let writer = fragmented(&path);
    let before = segments(&writer);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let merger = Connection::open(&path).unwrap();
    merger.busy_timeout(Duration::ZERO).unwrap();
    let (_sender, woken) = quiet();
    assert_eq!(
        merge_for(&merger, &woken, LONG).unwrap(),
        Merged::Interrupted
    );
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(segments(&writer), before);
}

#[test]
fn a_database_without_free_text_tables_has_nothing_to_merge() {
    let conn = Connection::open_in_memory().unwrap();
    let (_sender, woken) = quiet();
    assert_eq!(merge_for(&conn, &woken, LONG).unwrap(), Merged::Done);
}
