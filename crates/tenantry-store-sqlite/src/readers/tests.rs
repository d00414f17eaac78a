//! The readers' pool hands connections back on drop, reuses them, never opens more than its
//! size, and a read abandoned half-way leaves its connection fit for the next.

use std::str::FromStr;
use std::time::Duration;

use super::*;

/// Readers of at most `size` connections on a fresh database file.
fn readers(size: u32) -> (Readers, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    (Readers::new(options, size), dir)
}

async fn one(reader: &mut Reader) -> i64 {
    sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut **reader)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dropped_reader_goes_back_and_is_used_again() {
    let (readers, _dir) = readers(4);
    for _ in 0..3 {
        let mut reader = readers.acquire().await.unwrap();
        assert_eq!(one(&mut reader).await, 1);
    }
    // One connection served all three reads, one after the other.
    assert_eq!(readers.counts(), (1, 1, 4));
    let (a, b) = (
        readers.acquire().await.unwrap(),
        readers.acquire().await.unwrap(),
    );
    assert_eq!(readers.counts(), (2, 0, 4));
    drop((a, b));
    assert_eq!(readers.counts(), (2, 2, 4));
}

#[tokio::test]
async fn a_full_pool_makes_the_next_read_wait_for_a_connection() {
    let (readers, _dir) = readers(1);
    let held = readers.acquire().await.unwrap();
    // Opening a second connection takes about a millisecond; the wait must outlast that.
    let second = tokio::time::timeout(Duration::from_millis(200), readers.acquire()).await;
    assert!(second.is_err(), "a second connection was handed out");
    let waiting = tokio::spawn({
        let readers = readers.clone();
        async move { one(&mut readers.acquire().await.unwrap()).await }
    });
    drop(held);
    assert_eq!(waiting.await.unwrap(), 1);
    assert_eq!(readers.counts(), (1, 1, 1));
}

#[tokio::test]
async fn a_read_abandoned_half_way_leaves_its_connection_fit_for_the_next() {
    let (readers, _dir) = readers(1);
    let mut reader = readers.acquire().await.unwrap();
    // Counts to a million: long enough that the timeout drops it while it runs.
    let long = sqlx::query_scalar::<_, i64>(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
         SELECT count(*) FROM n",
    )
    .fetch_one(&mut *reader);
    let abandoned = tokio::time::timeout(Duration::from_millis(1), long).await;
    assert!(
        abandoned.is_err(),
        "the long read finished before it was abandoned"
    );
    drop(reader);
    let mut next = readers.acquire().await.unwrap();
    assert_eq!(one(&mut next).await, 1);
    assert_eq!(readers.counts(), (1, 0, 1));
}

#[tokio::test]
async fn closed_readers_refuse_reads_and_close_their_connections() {
    let (readers, _dir) = readers(2);
    let held = readers.acquire().await.unwrap();
    drop(readers.acquire().await.unwrap());
    assert_eq!(readers.counts(), (2, 1, 2));
    readers.close().await;
    assert_eq!(readers.counts(), (1, 0, 2));
    assert!(matches!(
        readers.acquire().await,
        Err(Error::Unavailable(_))
    ));
    // The one in use when the pool closed is closed when it comes back, not kept.
    drop(held);
    assert_eq!(readers.counts(), (0, 0, 2));
}

fn available_permits(readers: &Readers) -> usize {
    match &readers.source {
        Source::Own(shared) => shared.permits.available_permits(),
        Source::Borrowed(_) => unreachable!("these tests use a file"),
    }
}

#[tokio::test]
async fn a_read_on_a_thread_answers_and_holds_a_permit_while_it_runs() {
    let (readers, _dir) = readers(1);
    // The first sqlx connection creates the file, which rusqlite only opens.
    drop(readers.acquire().await.unwrap());
    let (release, released) = std::sync::mpsc::channel::<()>();
    let running = readers.clone();
    let read = tokio::spawn(async move {
        running
            .on_thread(move |conn| {
                released.recv().unwrap();
                conn.query_row("SELECT 41 + 1", [], |row| row.get::<_, i64>(0))
            })
            .await
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while available_permits(&readers) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        available_permits(&readers),
        0,
        "the running read holds the only permit"
    );
    release.send(()).unwrap();
    assert_eq!(read.await.unwrap().unwrap(), Some(42));
    assert_eq!(
        available_permits(&readers),
        1,
        "and gives it back when done"
    );
}

#[tokio::test]
async fn a_read_that_fails_on_a_thread_answers_none_so_the_caller_reads_another_way() {
    let (readers, _dir) = readers(2);
    drop(readers.acquire().await.unwrap());
    let answer = readers
        .on_thread(|conn| conn.query_row("SELECT * FROM no_such_table", [], |_| Ok(())))
        .await
        .unwrap();
    assert_eq!(answer, None);
    assert_eq!(available_permits(&readers), 2);
}

#[tokio::test]
async fn an_in_memory_database_is_not_read_on_a_thread() {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
    let readers = Readers::borrowing(pool);
    let answer = readers.on_thread(|_| Ok(1)).await.unwrap();
    assert_eq!(answer, None);
}
