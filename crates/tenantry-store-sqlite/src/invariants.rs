//! A whole-database consistency check: what the transactions promise, recomputed from the rows.

use tenantry_core::Result;

use crate::errors::db;
use crate::readers::Readers;

const CHECK: &str = "
SELECT 'account ' || a.id || ': children_seats is ' || a.children_seats || ' but its children hold ' || COALESCE(c.total, 0)
  FROM accounts a
  LEFT JOIN (SELECT parent_id, SUM(device_seats) AS total FROM accounts WHERE parent_id IS NOT NULL GROUP BY parent_id) c
    ON c.parent_id = a.id
 WHERE a.children_seats <> COALESCE(c.total, 0)
UNION ALL
SELECT 'account ' || a.id || ': used_devices is ' || a.used_devices || ' but it has ' || COALESCE(d.n, 0) || ' non-test devices'
  FROM accounts a
  LEFT JOIN (SELECT account_id, COUNT(*) AS n FROM devices WHERE NOT is_test GROUP BY account_id) d
    ON d.account_id = a.id
 WHERE a.used_devices <> COALESCE(d.n, 0)
UNION ALL
SELECT 'account ' || id || ': negative free seats' FROM accounts
 WHERE device_seats - used_devices - children_seats < 0
UNION ALL
SELECT 'account ' || a.id || ': path or tenant does not follow its parent' FROM accounts a
  JOIN accounts p ON p.id = a.parent_id
 WHERE a.path <> p.path || a.id || '/' OR a.tenant_id <> p.tenant_id
UNION ALL
SELECT 'root account ' || id || ': path or tenant is not its own' FROM accounts
 WHERE parent_id IS NULL AND (path <> '/' || id || '/' OR tenant_id <> id)
UNION ALL
SELECT 'user ' || u.id || ': account, tenant or path does not match' FROM users u
  LEFT JOIN accounts a ON a.id = u.account_id
 WHERE a.id IS NULL OR u.tenant_id <> a.tenant_id OR u.account_path <> a.path
UNION ALL
SELECT 'device ' || d.id || ': account, tenant or path does not match' FROM devices d
  LEFT JOIN accounts a ON a.id = d.account_id
 WHERE a.id IS NULL OR d.tenant_id <> a.tenant_id OR d.account_path <> a.path
UNION ALL
SELECT 'session ' || s.id || ': no such user, or tenant mismatch' FROM sessions s
  LEFT JOIN users u ON u.id = s.user_id
 WHERE u.id IS NULL OR s.tenant_id <> u.tenant_id
UNION ALL
SELECT 'email ' || email_norm || ' belongs to ' || COUNT(*) || ' users' FROM users
 GROUP BY email_norm HAVING COUNT(*) > 1
";

pub(crate) async fn violations(readers: &Readers) -> Result<Vec<String>> {
    sqlx::query_scalar(CHECK)
        .fetch_all(&mut *readers.acquire().await?)
        .await
        .map_err(db)
}
