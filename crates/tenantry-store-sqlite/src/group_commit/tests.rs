//! Group commit keeps each write's own outcome: what one write does wrong is undone alone,
//! a failed COMMIT fails every write in its group, and nothing waits on a write that left.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use super::*;

/// A writer on a fresh database with a table `t` (unique `v`) and a table `child` whose
/// foreign key is checked only at COMMIT.
async fn writer() -> (Writer, SqlitePool, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE t (v TEXT NOT NULL UNIQUE);
         CREATE TABLE child (parent TEXT REFERENCES t (v) DEFERRABLE INITIALLY DEFERRED);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let readers = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    (Writer::new(pool, None), readers, dir)
}

async fn insert(write: &mut WriteTx, table: &str, value: &str) -> Result<()> {
    let sql = if table == "t" {
        "INSERT INTO t (v) VALUES (?)"
    } else {
        "INSERT INTO child (parent) VALUES (?)"
    };
    sqlx::query(sql)
        .bind(value)
        .execute(&mut **write)
        .await
        .map_err(db)?;
    Ok(())
}

/// Begins a write that has inserted `value` into `t`.
async fn started(writer: &Writer, value: &str) -> WriteTx {
    let mut write = begin_write(writer).await.unwrap();
    insert(&mut write, "t", value).await.unwrap();
    write
}

async fn values(readers: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar("SELECT v FROM t ORDER BY v")
        .fetch_all(readers)
        .await
        .unwrap()
}

async fn groups_opened(writer: &Writer) -> u64 {
    writer.slot.lock().await.group
}

/// Starts a write in a task of its own that inserts `value` into `table`, and waits until it
/// is queued for the lock (which the caller holds).
async fn queue_write(
    writer: &Writer,
    table: &'static str,
    value: &'static str,
    commit_it: bool,
) -> tokio::task::JoinHandle<Result<()>> {
    let before = writer.queued.load(Ordering::Acquire);
    let task = tokio::spawn({
        let writer = writer.clone();
        async move {
            let mut write = begin_write(&writer).await?;
            insert(&mut write, table, value).await?;
            if commit_it {
                commit(write).await
            } else {
                Err(Error::invalid("given up"))
            }
        }
    });
    while writer.queued.load(Ordering::Acquire) == before {
        tokio::task::yield_now().await;
    }
    task
}

#[tokio::test]
async fn writes_queued_behind_one_share_its_commit_and_fail_alone() {
    let (writer, readers, _dir) = writer().await;
    let first = started(&writer, "a").await;
    let duplicate = queue_write(&writer, "t", "a", true).await;
    let given_up = queue_write(&writer, "t", "x", false).await;
    let last = queue_write(&writer, "t", "b", true).await;
    commit(first).await.unwrap();

    let clash = duplicate.await.unwrap().unwrap_err();
    assert!(matches!(clash, Error::Conflict(_)), "{clash:?}");
    assert!(given_up.await.unwrap().is_err());
    last.await.unwrap().unwrap();
    assert_eq!(values(&readers).await, ["a", "b"]);
    assert_eq!(
        groups_opened(&writer).await,
        1,
        "all four ran in one transaction"
    );
}

#[tokio::test]
async fn a_failed_commit_fails_every_write_in_its_group() {
    let (writer, readers, _dir) = writer().await;
    let first = started(&writer, "a").await;
    // Its foreign key is checked at COMMIT, so this write succeeds until then.
    let orphan = queue_write(&writer, "child", "nobody", true).await;
    let first_outcome = commit(first).await;
    let orphan_outcome = orphan.await.unwrap();

    assert!(
        matches!(first_outcome, Err(Error::Unavailable(_))),
        "{first_outcome:?}"
    );
    assert!(
        matches!(orphan_outcome, Err(Error::Unavailable(_))),
        "{orphan_outcome:?}"
    );
    assert!(
        values(&readers).await.is_empty(),
        "nothing of the group was kept"
    );
    // The writer goes on.
    let next = started(&writer, "c").await;
    commit(next).await.unwrap();
    assert_eq!(values(&readers).await, ["c"]);
}

#[tokio::test]
async fn a_write_that_stops_waiting_holds_nobody_up() {
    let (writer, readers, _dir) = writer().await;
    let first = started(&writer, "a").await;
    let gone = queue_write(&writer, "t", "x", true).await;
    gone.abort();
    let _ = gone.await;
    assert_eq!(writer.queued.load(Ordering::Acquire), 0);
    tokio::time::timeout(Duration::from_secs(10), commit(first))
        .await
        .expect("nobody is queued, so the first write commits at once")
        .unwrap();
    assert_eq!(values(&readers).await, ["a"]);
}

#[tokio::test]
async fn a_dropped_write_is_rolled_back_and_releases_the_database() {
    let (writer, readers, _dir) = writer().await;
    let dropped = started(&writer, "x").await;
    drop(dropped);
    let mut next = tokio::time::timeout(Duration::from_secs(10), begin_write(&writer))
        .await
        .expect("the lock is free again")
        .unwrap();
    insert(&mut next, "t", "a").await.unwrap();
    commit(next).await.unwrap();
    assert_eq!(values(&readers).await, ["a"]);
    // Nothing is left open: another connection can take the write lock.
    sqlx::query("BEGIN IMMEDIATE; ROLLBACK")
        .execute(&readers)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_commit_is_told_to_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Only the checkpoints' thread can move the log into the file.
        .pragma("wal_autocheckpoint", "0");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE t (v BLOB)")
        .execute(&pool)
        .await
        .unwrap();
    let checkpoints = Checkpoints::start(path.clone()).unwrap();
    let writer = Writer::new(pool, Some(checkpoints));
    let mut write = begin_write(&writer).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (randomblob(2000000))")
        .execute(&mut *write)
        .await
        .unwrap();
    commit(write).await.unwrap();
    let len = || std::fs::metadata(&path).map_or(0, |m| m.len());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while len() < 2_000_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        len() >= 2_000_000,
        "the commit was checkpointed: {} bytes",
        len()
    );
}
