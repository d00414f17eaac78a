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

/// Writes "committed by this process", counted per test: the process's own count moves with
/// every other test's writes.
static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn writes() -> u64 {
    WRITES.load(Ordering::SeqCst)
}

const HOUR: Duration = Duration::from_secs(3600);

/// A pool counting this file's writes, with the policy's three times given.
fn pool(
    path: PathBuf,
    held_for: Duration,
    sweep_after: Duration,
    quiet_for: Duration,
) -> PointReads {
    PointReads::with_policy(
        path,
        Policy {
            held_for,
            writes,
            sweep_after,
            quiet_for,
        },
    )
}

/// A pool that holds read transactions for an hour, at once, and sweeps after `sweep_after`.
fn holding(path: PathBuf, sweep_after: Duration) -> PointReads {
    pool(path, HOUR, sweep_after, Duration::ZERO)
}

fn write_elsewhere(path: &std::path::Path, v: &str) {
    Connection::open(path)
        .unwrap()
        .execute("UPDATE t SET v = ?1 WHERE id = 1", [v])
        .unwrap();
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` from another connection: whether a reader held it back.
fn checkpoint_is_held_back(path: &std::path::Path) -> bool {
    let conn = Connection::open(path).unwrap();
    // Asked once, not waited on.
    conn.busy_timeout(Duration::ZERO).unwrap();
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .unwrap();
    busy != 0
}

#[test]
fn a_read_by_key_reads_in_the_last_ones_transaction_until_this_process_commits() {
    let (_dir, path) = database();
    let reads = holding(path.clone(), HOUR);
    assert_eq!(reads.run_recent(value).as_deref(), Some("one"));
    write_elsewhere(&path, "two");
    assert_eq!(
        reads.run_recent(value).as_deref(),
        Some("one"),
        "the second read is in the first one's snapshot"
    );
    WRITES.fetch_add(1, Ordering::SeqCst);
    assert_eq!(
        reads.run_recent(value).as_deref(),
        Some("two"),
        "a write committed by this process ends the snapshot"
    );
}

#[test]
fn a_transaction_older_than_the_policy_allows_is_not_read_in_again() {
    let (_dir, path) = database();
    let reads = pool(path.clone(), Duration::ZERO, HOUR, Duration::ZERO);
    assert_eq!(reads.run_recent(value).as_deref(), Some("one"));
    write_elsewhere(&path, "two");
    assert_eq!(reads.run_recent(value).as_deref(), Some("two"));
}

#[test]
fn lists_read_in_a_transaction_of_their_own() {
    let (_dir, path) = database();
    let reads = holding(path.clone(), HOUR);
    assert_eq!(reads.run_recent(value).as_deref(), Some("one"));
    write_elsewhere(&path, "two");
    assert_eq!(
        reads.run(value).as_deref(),
        Some("two"),
        "`run` ended the held transaction first"
    );
    assert_eq!(reads.idle_count(), 1, "on the same connection");
    assert!(
        !checkpoint_is_held_back(&path),
        "and left none open behind it"
    );
}

#[test]
fn a_held_transaction_holds_back_checkpoints_until_the_sweeper_ends_it() {
    let (_dir, path) = database();
    let unswept = holding(path.clone(), HOUR);
    assert!(unswept.run_recent(value).is_some());
    write_elsewhere(&path, "two");
    assert!(
        checkpoint_is_held_back(&path),
        "the transaction is really held"
    );
    unswept.close();

    let millisecond = Duration::from_millis(1);
    let swept = pool(path.clone(), millisecond, millisecond, Duration::ZERO);
    assert!(swept.run_recent(value).is_some());
    write_elsewhere(&path, "three");
    // Polled, not slept on: the sweep comes a millisecond after the read, or later on a busy
    // machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while checkpoint_is_held_back(&path) {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never ended the idle connection's transaction"
        );
        std::thread::yield_now();
    }
    assert_eq!(swept.idle_count(), 1, "the connection stays in the pool");
    assert_eq!(swept.run_recent(value).as_deref(), Some("three"));
}

#[test]
fn no_transaction_is_held_until_this_process_has_written_nothing_for_a_while() {
    let (_dir, path) = database();
    let reads = pool(path.clone(), HOUR, HOUR, HOUR);
    assert_eq!(reads.run_recent(value).as_deref(), Some("one"));
    write_elsewhere(&path, "two");
    assert_eq!(reads.run_recent(value).as_deref(), Some("two"));
    assert!(
        !checkpoint_is_held_back(&path),
        "the read left no transaction open"
    );
}
