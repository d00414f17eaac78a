//! Creations queued together are written by one statement, and each still gets its own answer.

use std::sync::Arc;

use tenantry_core::Resource;
use tenantry_core::auth::Role;
use tenantry_core::clock::Clock;
use tenantry_core::model::user::NewUser;
use tenantry_core::model::{AccountId, UserStatus};
use tenantry_core::store::Store;
use tenantry_core::values::Preferences;
use tenantry_store_tests::{Harness, TestDb};
use tokio::task::JoinHandle;

use super::*;
use crate::SqliteStore;

async fn installation() -> (Harness, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("batch.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let harness = Harness::new(TestDb {
        store: Arc::new(store.clone()),
        keep_alive: Some(Box::new(dir)),
    })
    .await;
    (harness, store)
}

fn new_user(account: AccountId, address: &str, h: &Harness) -> NewUser {
    NewUser {
        account_id: account,
        email: address.to_owned(),
        email_normalized: address.to_lowercase(),
        username: None,
        username_normalized: None,
        first_name: Some(first_name(address)),
        last_name: Some("Last".to_owned()),
        role: Role::User,
        status: UserStatus::Active,
        email_verified: false,
        terms_agreed: false,
        password_hash: None,
        preferences: Preferences::default(),
        now: h.clock.now(),
    }
}

/// A name with what JSON must escape or carry intact: quotes, a backslash, a character outside
/// the Basic Multilingual Plane.
fn first_name(address: &str) -> String {
    format!("Zoë \"{address}\" \\ 😀")
}

fn waiting(store: &SqliteStore) -> usize {
    store.user_inserts.queue.lock().unwrap().waiting.len()
}

fn written_together(store: &SqliteStore) -> usize {
    store.user_inserts.queue.lock().unwrap().written_together
}

/// Queues the creations as if a task were writing already, so none starts one; then starts
/// the writing task, which finds them all waiting and writes them as one batch.
async fn create_together(
    h: &Harness,
    store: &SqliteStore,
    creations: Vec<NewUser>,
) -> Vec<Result<User>> {
    let inserts = &store.user_inserts;
    inserts.queue.lock().unwrap().writing = true;
    let count = creations.len();
    let tasks: Vec<JoinHandle<Result<User>>> = creations
        .into_iter()
        .map(|new| {
            let store = store.clone();
            let audit = h.service.audit("user.create", h.clock.now());
            tokio::spawn(async move { store.insert_user(new, audit).await })
        })
        .collect();
    while waiting(store) < count {
        tokio::task::yield_now().await;
    }
    tokio::spawn(write_batches(store.writer.clone(), inserts.queue.clone()));
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

async fn audited(store: &SqliteStore, user: &User) -> i64 {
    let mut conn = store.readers.acquire().await.unwrap();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'user.create' AND target_id = ?",
    )
    .bind(user.id.get())
    .fetch_one(&mut *conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_writes_each_user_with_its_own_values_and_audit_record() {
    let (h, store) = installation().await;
    let acme = h.root("Acme", 0).await;
    let other = h.root("Other", 0).await;
    let addresses = ["a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"];
    let creations = addresses
        .iter()
        .enumerate()
        .map(|(i, address)| new_user(if i % 2 == 0 { acme.id } else { other.id }, address, &h))
        .collect();
    let answers = create_together(&h, &store, creations).await;
    assert_eq!(
        written_together(&store),
        5,
        "all five were written together"
    );
    for (i, answer) in answers.iter().enumerate() {
        let user = answer.as_ref().unwrap();
        let account = if i % 2 == 0 { &acme } else { &other };
        assert_eq!(user.email, addresses[i]);
        assert_eq!(user.first_name.as_deref(), Some(&*first_name(addresses[i])));
        assert_eq!(user.account_id, account.id);
        assert_eq!(user.tenant_id, account.tenant_id);
        assert_eq!(user.account_path, account.path);
        assert_eq!(audited(&store, user).await, 1);
        let stored = store.user(user.id).await.unwrap().unwrap();
        assert_eq!(stored.email, user.email);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_creation_in_a_batch_fails_alone() {
    let (h, store) = installation().await;
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "taken@x.test", Role::User).await;
    let creations = vec![
        new_user(acme.id, "ok@x.test", &h),
        new_user(AccountId(999_999), "nowhere@x.test", &h),
        new_user(acme.id, "TAKEN@x.test", &h),
        new_user(acme.id, "fine@x.test", &h),
    ];
    let answers = create_together(&h, &store, creations).await;
    assert_eq!(written_together(&store), 0, "the batch was rolled back");
    assert!(
        matches!(answers[1], Err(Error::NotFound(Resource::Account))),
        "{:?}",
        answers[1]
    );
    assert!(
        matches!(answers[2], Err(Error::Conflict(_))),
        "{:?}",
        answers[2]
    );
    for i in [0, 3] {
        let user = answers[i].as_ref().unwrap();
        assert_eq!(audited(&store, user).await, 1, "{}", user.email);
    }
    let mut conn = store.readers.acquire().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows, 3, "taken, ok and fine");
}
