use super::*;

/// How long a test waits for the thread to do what it was told before failing.
const PATIENCE: Duration = Duration::from_secs(20);

/// A WAL database whose own connection never checkpoints, with about 2 MB of rows in its log
/// and not yet in its file. The connection is returned so the caller decides when it closes.
fn written(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
         CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
         INSERT INTO t SELECT i, randomblob(2000) FROM n;",
    )
    .unwrap();
    conn
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Polls `done` until it holds or [`PATIENCE`] runs out.
fn eventually(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

#[test]
fn a_commit_told_of_is_copied_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let _writer = written(&path);
    assert!(
        file_len(&path) < 100_000,
        "the rows are still only in the log"
    );
    let checkpoints = Checkpoints::start(path.clone()).unwrap();
    checkpoints.committed();
    assert!(
        eventually(|| file_len(&path) > 2_000_000),
        "the log was copied into the file: {} bytes",
        file_len(&path)
    );
}

#[test]
fn the_thread_closes_its_connection_when_the_last_handle_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let wal = dir.path().join("db-wal");
    let writer = written(&path);
    let checkpoints = Checkpoints::start(path.clone()).unwrap();
    checkpoints.committed();
    assert!(eventually(|| file_len(&path) > 2_000_000));
    // The checkpoints' connection is now the database's last one; when it closes, SQLite
    // removes the log.
    drop(writer);
    assert!(wal.exists(), "the checkpoints' connection keeps the log");
    drop(checkpoints);
    assert!(
        eventually(|| !wal.exists()),
        "the thread ended and closed the database's last connection"
    );
}

#[test]
fn once_commits_stop_the_thread_merges_the_free_text_segments() {
    use crate::search_merges::tests::{fragmented, segments};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let writer = fragmented(&path);
    let before = segments(&writer);
    assert!(before > 5, "{before} segments to start with");
    let checkpoints = Checkpoints::start(path.clone()).unwrap();
    checkpoints.committed();
    assert!(
        eventually(|| segments(&writer) <= 2),
        "{before} segments, still {} after the quiet spell",
        segments(&writer)
    );
}
