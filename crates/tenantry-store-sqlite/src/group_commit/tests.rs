//! Group commit keeps each write's own outcome: what one write does wrong is undone alone,
//! a failed COMMIT fails every write in its group, and nothing waits on a write that left.

use std::str::FromStr;
use std::time::Duration;

use sqlx::AssertSqlSafe;
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

async fn insert(write: &mut WriteTx, table_and_value: (&str, &str)) -> Result<()> {
    let (table, value) = table_and_value;
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
            insert(&mut write, (table, value)).await?;
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
    let mut first = begin_write(&writer).await.unwrap();
    insert(&mut first, ("t", "a")).await.unwrap();
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
    let mut first = begin_write(&writer).await.unwrap();
    insert(&mut first, ("t", "a")).await.unwrap();
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
    let mut next = begin_write(&writer).await.unwrap();
    insert(&mut next, ("t", "c")).await.unwrap();
    commit(next).await.unwrap();
    assert_eq!(values(&readers).await, ["c"]);
}

#[tokio::test]
async fn a_write_that_stops_waiting_holds_nobody_up() {
    let (writer, readers, _dir) = writer().await;
    let mut first = begin_write(&writer).await.unwrap();
    insert(&mut first, ("t", "a")).await.unwrap();
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
    let mut dropped = begin_write(&writer).await.unwrap();
    insert(&mut dropped, ("t", "x")).await.unwrap();
    drop(dropped);
    let mut next = tokio::time::timeout(Duration::from_secs(10), begin_write(&writer))
        .await
        .expect("the lock is free again")
        .unwrap();
    insert(&mut next, ("t", "a")).await.unwrap();
    commit(next).await.unwrap();
    assert_eq!(values(&readers).await, ["a"]);
    // Nothing is left open: another connection can take the write lock.
    sqlx::query("BEGIN IMMEDIATE; ROLLBACK")
        .execute(&readers)
        .await
        .unwrap();
}

/// Free text found by `q` in `users_search`, as user ids.
async fn users_matching(readers: &SqlitePool, q: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT rowid FROM users_search WHERE users_search MATCH ? ORDER BY rowid")
        .bind(format!("\"{q}\""))
        .fetch_all(readers)
        .await
        .unwrap()
}

async fn insert_user(write: &mut WriteTx, account: i64, email: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO users (tenant_id, account_id, account_path, email, email_norm, search_text, \
         role, status, email_verified, preferences, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'user', 'active', 0, '{}', 0, 0) RETURNING id",
    )
    .bind(account)
    .bind(account)
    .bind(format!("/{account}/"))
    .bind(email)
    .bind(email)
    .bind(email)
    .fetch_one(&mut **write)
    .await
    .unwrap()
}

async fn set_text(write: &mut WriteTx, user: i64, text: &str) {
    sqlx::query("UPDATE users SET search_text = ? WHERE id = ?")
        .bind(text)
        .bind(user)
        .execute(&mut **write)
        .await
        .unwrap();
}

async fn delete_user(write: &mut WriteTx, user: i64) {
    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(user)
        .execute(&mut **write)
        .await
        .unwrap();
}

/// New rows are indexed at the group's commit; changing or deleting a row before then, or
/// after, leaves the free-text index exactly in step with the rows (FTS5's own check).
#[tokio::test]
async fn rows_created_in_a_group_are_indexed_at_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = crate::SqliteStore::connect(&url).await.unwrap();
    let (writer, readers) = (&store.writer, &store.pool);

    let mut write = begin_write(writer).await.unwrap();
    let account: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (tenant_id, path, name, name_norm, search_text, status, \
         device_seats, created_at, updated_at, activity_at) \
         VALUES (0, '/x/', 'Acme', 'acme', 'acme', 'active', 0, 0, 0, 0) RETURNING id",
    )
    .fetch_one(&mut *write)
    .await
    .unwrap();
    let renamed = insert_user(&mut write, account, "first.before@example.com").await;
    set_text(&mut write, renamed, "first.after@example.com").await;
    let gone = insert_user(&mut write, account, "gone.soon@example.com").await;
    delete_user(&mut write, gone).await;
    let kept = insert_user(&mut write, account, "kept.later@example.com").await;
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_pending")
        .fetch_one(&mut *write)
        .await
        .unwrap();
    assert_eq!(pending, 3, "the account and two users wait for the commit");
    commit(write).await.unwrap();

    assert_eq!(users_matching(readers, "first.after").await, [renamed]);
    assert!(users_matching(readers, "first.before").await.is_empty());
    assert!(users_matching(readers, "gone.soon").await.is_empty());
    assert_eq!(users_matching(readers, "kept.later").await, [kept]);
    let accounts: Vec<i64> =
        sqlx::query_scalar("SELECT rowid FROM accounts_search WHERE accounts_search MATCH 'acme'")
            .fetch_all(readers)
            .await
            .unwrap();
    assert_eq!(accounts, [account]);

    // Rows indexed already: changes go to the index at once.
    let mut write = begin_write(writer).await.unwrap();
    set_text(&mut write, kept, "kept.renamed@example.com").await;
    delete_user(&mut write, renamed).await;
    commit(write).await.unwrap();
    assert_eq!(users_matching(readers, "kept.renamed").await, [kept]);
    assert!(users_matching(readers, "kept.later").await.is_empty());
    assert!(users_matching(readers, "first.after").await.is_empty());

    let empty: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_pending")
        .fetch_one(readers)
        .await
        .unwrap();
    assert_eq!(empty, 0);
    for table in ["users_search", "accounts_search"] {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"
        )))
        .execute(readers)
        .await
        .unwrap_or_else(|e| panic!("{table} is out of step with its rows: {e}"));
    }
}
