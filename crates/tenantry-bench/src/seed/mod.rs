//! `tenantry-bench seed`: fills an empty database with a realistic tree of tenants, accounts
//! and users, fast — complete rows generated here and bulk-loaded in large transactions, with
//! every seat counter already consistent.
//!
//! Shape: `tenants` trees of equal size; in each, account k hangs under account (k−1)/5 (a
//! fan-out of 5), seats shrink by a factor of 6 per level so every parent can cover its
//! children. Users are spread evenly over all accounts; every one of them has the password
//! [`PASSWORD`], hashed once. Each account and user has the audit record of its creation.

mod audit;
mod names;

use std::time::Instant;

use anyhow::{Context, bail};
use tenantry_core::auth::{HashParams, PasswordHasher, Role};
use tenantry_core::model::user::BulkUser;
use tenantry_core::model::{
    Account, AccountId, AccountPath, AccountStatus, User, UserId, UserStatus,
};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::store::{Scope, Store};
use tenantry_core::values::{Password, Preferences};
use time::{Duration, OffsetDateTime};

use crate::rng::Rng;

/// The password of every seeded user.
pub const PASSWORD: &str = "benchmark-password";
const FANOUT: usize = 5;
const CHUNK: usize = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    pub accounts: u64,
    pub users: u64,
    pub tenants: u64,
}

impl SeedPlan {
    /// One tenant per hundred accounts unless told otherwise.
    pub fn new(accounts: u64, users: u64, tenants: Option<u64>) -> anyhow::Result<SeedPlan> {
        if accounts == 0 {
            bail!("--accounts must be at least 1");
        }
        let tenants = tenants.unwrap_or((accounts / 100).max(1));
        if tenants == 0 || tenants > accounts {
            bail!("--tenants must be between 1 and --accounts");
        }
        Ok(SeedPlan {
            accounts,
            users,
            tenants,
        })
    }
}

/// Where each account sits, for placing users.
struct Placement {
    tenant: AccountId,
    path: AccountPath,
    domain: String,
}

pub async fn seed(store: &dyn Store, plan: SeedPlan) -> anyhow::Result<()> {
    let existing = store
        .list_accounts(&Scope::All, &ListRequest::all(ListResource::Accounts, 1))
        .await?;
    if !existing.is_empty() {
        bail!("seed needs an empty database; this one already has accounts");
    }
    // Indexes are built once at the end, as for an import.
    store.prepare_load().await?;
    let started = Instant::now();
    let base = OffsetDateTime::now_utc() - Duration::days(730);
    let mut rng = Rng::new(0x7E4A_4712);
    let mut placements = Vec::with_capacity(plan.accounts as usize);
    let mut buffer = Vec::with_capacity(CHUNK);
    let mut next_id: i64 = 1;
    let mut trail = audit::Trail::new()?;
    for tenant in 0..plan.tenants {
        let size = (plan.accounts / plan.tenants + u64::from(tenant < plan.accounts % plan.tenants))
            as usize;
        let company = format!("{} {}", rng.pick(names::COMPANY), tenant + 1);
        let domain = company.to_lowercase().replace(' ', "") + ".example";
        for account in tenant_accounts(&mut next_id, size, &company, &domain, base, &mut rng) {
            placements.push(Placement {
                tenant: account.tenant_id,
                path: account.path.clone(),
                domain: domain.clone(),
            });
            trail.account_created(store, &account).await?;
            buffer.push(account);
        }
        if buffer.len() >= CHUNK {
            store.bulk_insert_accounts(&buffer).await?;
            buffer.clear();
        }
    }
    store.bulk_insert_accounts(&buffer).await?;
    eprintln!(
        "seeded {} accounts in {} tenants ({:.1} s)",
        placements.len(),
        plan.tenants,
        started.elapsed().as_secs_f64()
    );

    let hasher = PasswordHasher::new(HashParams::OWASP, 1)?;
    let password = Password::parse(PASSWORD).map_err(anyhow::Error::msg)?;
    let hash = hasher.hash(&password).await?;
    let users_started = Instant::now();
    let mut batch = Vec::with_capacity(CHUNK);
    for i in 0..plan.users {
        let account_id = 1 + (i % plan.accounts) as i64;
        let place = &placements[(account_id - 1) as usize];
        let user = user(
            i,
            AccountId(account_id),
            place,
            &hash,
            base,
            plan.users,
            &mut rng,
        );
        trail.user_created(store, &user.user).await?;
        batch.push(user);
        if batch.len() == CHUNK {
            store.bulk_insert_users(&batch).await?;
            batch.clear();
            if (i + 1) % 100_000 == 0 {
                let rate = (i + 1) as f64 / users_started.elapsed().as_secs_f64();
                eprintln!("  {} users ({rate:.0}/s)", i + 1);
            }
        }
    }
    store.bulk_insert_users(&batch).await?;
    trail.flush(store).await?;
    eprintln!(
        "seeded {} users and {} audit records ({:.1} s); building indexes",
        plan.users,
        trail.written,
        users_started.elapsed().as_secs_f64()
    );
    let building = Instant::now();
    store
        .finish_load()
        .await
        .context("building indexes and refreshing the planner's statistics")?;
    eprintln!(
        "built indexes ({:.1} s); checking invariants",
        building.elapsed().as_secs_f64()
    );
    let violations = store
        .invariant_violations()
        .await
        .context("checking the seeded data")?;
    if !violations.is_empty() {
        bail!("the seeded data breaks invariants: {violations:?}");
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn tenant_accounts(
    next_id: &mut i64,
    size: usize,
    company: &str,
    domain: &str,
    base: OffsetDateTime,
    rng: &mut Rng,
) -> Vec<Account> {
    let mut depth = vec![0_u32; size];
    for k in 1..size {
        depth[k] = depth[(k - 1) / FANOUT] + 1;
    }
    let levels = depth.iter().max().copied().unwrap_or(0) + 1;
    let seats = |d: u32| 6_i64.pow(levels - d);
    let mut accounts: Vec<Account> = Vec::with_capacity(size);
    for k in 0..size {
        let id = AccountId(*next_id);
        *next_id += 1;
        let created = base + Duration::minutes(rng.below(730 * 24 * 60) as i64);
        let (parent, path, tenant_id, name) = if k == 0 {
            (None, AccountPath::root(id), id, company.to_owned())
        } else {
            let parent = &accounts[(k - 1) / FANOUT];
            let name = format!("{company} {} {k}", rng.pick(names::SITE));
            (
                Some(parent.id),
                parent.path.child(id),
                parent.tenant_id,
                name,
            )
        };
        accounts.push(Account {
            id,
            tenant_id,
            parent_id: parent,
            path,
            name,
            email: (k == 0).then(|| format!("ops@{domain}")),
            description: None,
            external_id: Some(format!("crm-{}", id.get())),
            status: AccountStatus::Active,
            device_seats: seats(depth[k]),
            used_devices: 0,
            children_seats: 0,
            log_retention: tenantry_core::model::account::DEFAULT_LOG_RETENTION,
            created,
            updated: created,
            activity: created,
        });
    }
    for k in 1..size {
        let seats = accounts[k].device_seats;
        accounts[(k - 1) / FANOUT].children_seats += seats;
    }
    accounts
}

fn ascii(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    if kept.is_empty() {
        "user".to_owned()
    } else {
        kept
    }
}

fn user(
    i: u64,
    account_id: AccountId,
    place: &Placement,
    hash: &str,
    base: OffsetDateTime,
    total: u64,
    rng: &mut Rng,
) -> BulkUser {
    let first = rng.pick(names::FIRST);
    // Half the users carry a common family name, half a rarer generated one.
    let last = if i.is_multiple_of(2) {
        (*rng.pick(names::LAST)).to_owned()
    } else {
        let mut name: String = (0..3).map(|_| *rng.pick(names::SYLLABLES)).collect();
        if let Some(first_char) = name.get(..1) {
            name.replace_range(..1, &first_char.to_uppercase());
        }
        name
    };
    let role = match i {
        i if i % 500 == 0 => Role::Owner,
        i if i % 50 == 0 => Role::Admin,
        _ => Role::User,
    };
    // Spread creation evenly over two years, in id order.
    let created = base + Duration::seconds((i as i64) * (730 * 86_400) / total.max(1) as i64);
    let id = UserId(i as i64 + 1);
    BulkUser {
        user: User {
            id,
            account_id,
            tenant_id: place.tenant,
            account_path: place.path.clone(),
            email: format!("{}.{}.{}@{}", ascii(first), ascii(&last), id, place.domain),
            username: (i.is_multiple_of(3)).then(|| format!("{}{}", ascii(first), id)),
            first_name: Some((*first).to_owned()),
            last_name: Some(last),
            role,
            status: if i.is_multiple_of(97) {
                UserStatus::Disabled
            } else {
                UserStatus::Active
            },
            email_verified: !i.is_multiple_of(7),
            email_verified_at: (!i.is_multiple_of(7)).then_some(created),
            terms_agreed_at: Some(created),
            has_password: true,
            last_login: None,
            locked_until: None,
            preferences: Preferences::default(),
            created,
            updated: created,
        },
        password_hash: Some(hash.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed expectation is a failed test.
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use super::*;

    /// (target type, target id, tenant, path) of each creation the trail should record.
    type Creation = (String, i64, Option<i64>, Option<String>);

    #[tokio::test]
    async fn every_seeded_account_and_user_has_its_creation_in_the_trail() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("seed.db").display());
        let store = tenantry_store_sqlite::SqliteStore::connect(&url)
            .await
            .unwrap();
        seed(&store, SeedPlan::new(12, 30, Some(2)).unwrap())
            .await
            .unwrap();

        let all = |resource| ListRequest::all(resource, 1000);
        let accounts = store
            .list_accounts(&Scope::All, &all(ListResource::Accounts))
            .await
            .unwrap();
        let users = store
            .list_users(&Scope::All, &all(ListResource::Users))
            .await
            .unwrap();
        let trail = store
            .list_audit(&Scope::All, &all(ListResource::Audit))
            .await
            .unwrap();
        assert_eq!((accounts.len(), users.len()), (12, 30));

        let expected: BTreeSet<Creation> = accounts
            .iter()
            .map(|a| ("account".into(), a.id.get(), Some(a.tenant_id), &a.path))
            .chain(users.iter().map(|u| {
                (
                    "user".into(),
                    u.id.get(),
                    Some(u.tenant_id),
                    &u.account_path,
                )
            }))
            .map(|(kind, id, tenant, path)| {
                (
                    kind,
                    id,
                    tenant.map(AccountId::get),
                    Some(path.as_str().to_owned()),
                )
            })
            .collect();
        let recorded: BTreeSet<Creation> = trail
            .iter()
            .map(|r| {
                (
                    r.target_type.clone(),
                    r.target_id.unwrap_or(0),
                    r.tenant_id.map(AccountId::get),
                    r.account_path.as_ref().map(|p| p.as_str().to_owned()),
                )
            })
            .collect();
        assert_eq!(trail.len(), 42);
        assert_eq!(recorded, expected);
        let actions: BTreeSet<&str> = trail.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, BTreeSet::from(["account.create", "user.create"]));
    }
}
