use super::*;

fn database() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("point.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); \
         INSERT INTO t VALUES (1, 'one');",
    )
    .unwrap();
    (dir, path)
}

fn value(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT v FROM t WHERE id = 1", [], |row| row.get(0))
}

#[test]
fn a_connection_goes_back_and_is_reused() {
    let (_dir, path) = database();
    let reads = PointReads::new(path);
    assert_eq!(
        reads.idle_count(),
        0,
        "nothing opened before the first read"
    );
    assert_eq!(reads.run(value).as_deref(), Some("one"));
    assert_eq!(reads.idle_count(), 1);
    assert_eq!(reads.run(value).as_deref(), Some("one"));
    assert_eq!(
        reads.idle_count(),
        1,
        "the second read reused the first one's connection"
    );
}

#[test]
fn a_failed_read_falls_back_and_drops_its_connection() {
    let (_dir, path) = database();
    let reads = PointReads::new(path);
    let missing =
        |conn: &Connection| conn.query_row("SELECT x FROM nowhere", [], |row| row.get::<_, i64>(0));
    assert_eq!(reads.run(missing), None);
    assert_eq!(reads.idle_count(), 0);
    assert_eq!(
        reads.run(value).as_deref(),
        Some("one"),
        "the next read opens another"
    );
}

#[test]
fn the_connections_cannot_write() {
    let (_dir, path) = database();
    let reads = PointReads::new(path.clone());
    let write = |conn: &Connection| conn.execute("DELETE FROM t", []);
    assert_eq!(reads.run(write), None);
    let rows: i64 = Connection::open(&path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn a_locked_database_falls_back_at_once_instead_of_waiting() {
    let (_dir, path) = database();
    // An exclusive lock keeps even WAL readers out.
    let holder = Connection::open(&path).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE t SET v = 'two';")
        .unwrap();
    let reads = PointReads::new(path);
    let started = std::time::Instant::now();
    assert_eq!(reads.run(value), None);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited {:?} for the lock",
        started.elapsed()
    );
    drop(holder);
    assert_eq!(
        reads.run(value).as_deref(),
        Some("one"),
        "the rolled-back write is not seen"
    );
}

#[test]
fn a_closed_pool_falls_back_and_keeps_no_connection() {
    let (_dir, path) = database();
    let reads = PointReads::new(path);
    assert!(reads.run(value).is_some());
    reads.close();
    assert_eq!(reads.idle_count(), 0);
    assert_eq!(reads.run(value), None);
}

#[test]
fn a_database_that_cannot_be_opened_turns_the_pool_off() {
    let dir = tempfile::tempdir().unwrap();
    let reads = PointReads::new(dir.path().join("missing").join("nothing.db"));
    assert_eq!(reads.run(value), None);
    assert!(reads.shared.off.load(Ordering::Acquire));
}
