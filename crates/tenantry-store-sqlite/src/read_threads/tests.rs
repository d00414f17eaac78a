use super::*;

fn database() -> (tempfile::TempDir, PointReads) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7);")
        .unwrap();
    (dir, PointReads::new(path))
}

fn seven(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT v FROM t", [], |row| row.get(0))
}

#[tokio::test]
async fn a_read_runs_on_a_thread_and_answers() {
    let (_dir, connections) = database();
    let threads = ReadThreads::start(2, &connections);
    assert_eq!(threads.run(seven).await, Some(7));
    let name = threads
        .run(|_| Ok(std::thread::current().name().map(str::to_owned)))
        .await;
    assert!(
        name.flatten()
            .is_some_and(|n| n.starts_with("sqlite-read-")),
        "the read ran on one of the threads"
    );
}

#[tokio::test]
async fn a_read_that_panics_answers_none_and_its_thread_serves_the_next() {
    let (_dir, connections) = database();
    let threads = ReadThreads::start(1, &connections);
    let panicked: Option<i64> = threads.run(|_| panic!("a read that panics")).await;
    assert_eq!(panicked, None);
    assert_eq!(
        threads.run(seven).await,
        Some(7),
        "the only thread is still there"
    );
}

#[tokio::test]
async fn a_read_that_fails_answers_none() {
    let (_dir, connections) = database();
    let threads = ReadThreads::start(1, &connections);
    let failed = threads
        .run(|conn| conn.query_row("SELECT v FROM missing", [], |row| row.get::<_, i64>(0)))
        .await;
    assert_eq!(failed, None);
}

#[tokio::test]
async fn with_no_threads_every_read_answers_none() {
    let (_dir, connections) = database();
    let threads = ReadThreads::start(0, &connections);
    assert_eq!(threads.run(seven).await, None);
}
