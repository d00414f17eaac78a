//! Ranked roles and the permission catalogue.
//!
//! The permission names are ControlByWeb's strings (its clients display and compare them), plus
//! the few the other surfaces need. A role held on account A applies to A's whole subtree.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Sees the account subtree and its devices; edits only their own profile.
    User,
    /// Administers the account subtree: accounts below, users, devices, tokens, audit.
    Admin,
    /// An admin who may also close the account itself and grant `owner`.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn rank(self) -> u8 {
        match self {
            Role::User => 10,
            Role::Admin => 20,
            Role::Owner => 40,
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::User => &[ViewAccounts, ViewDevices],
            Role::Admin => &[
                ViewAccounts,
                AddAccounts,
                EditAccounts,
                DeleteAccounts,
                ViewUsers,
                AddUsers,
                EditUsers,
                DeleteUsers,
                ViewDevices,
                AddDevices,
                EditDevices,
                DeleteDevices,
                ManageTokens,
                ViewAudit,
            ],
            Role::Owner => Permission::ALL,
        }
    }

    pub fn has(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err("must be one of: user, admin, owner".to_owned()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewAccounts,
    AddAccounts,
    EditAccounts,
    DeleteAccounts,
    /// Delete the caller's own account (not only accounts below it).
    CloseAccount,
    ViewUsers,
    AddUsers,
    EditUsers,
    DeleteUsers,
    ViewDevices,
    AddDevices,
    EditDevices,
    DeleteDevices,
    ManageTokens,
    ViewAudit,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::ViewAccounts,
        Permission::AddAccounts,
        Permission::EditAccounts,
        Permission::DeleteAccounts,
        Permission::CloseAccount,
        Permission::ViewUsers,
        Permission::AddUsers,
        Permission::EditUsers,
        Permission::DeleteUsers,
        Permission::ViewDevices,
        Permission::AddDevices,
        Permission::EditDevices,
        Permission::DeleteDevices,
        Permission::ManageTokens,
        Permission::ViewAudit,
    ];

    /// The display name, as ControlByWeb clients expect it.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewAccounts => "View Accounts",
            Permission::AddAccounts => "Add Accounts",
            Permission::EditAccounts => "Edit Accounts",
            Permission::DeleteAccounts => "Delete Accounts",
            Permission::CloseAccount => "Close Account",
            Permission::ViewUsers => "View Users",
            Permission::AddUsers => "Add Users",
            Permission::EditUsers => "Edit Users",
            Permission::DeleteUsers => "Delete Users",
            Permission::ViewDevices => "View Devices",
            Permission::AddDevices => "Add Devices",
            Permission::EditDevices => "Edit Devices",
            Permission::DeleteDevices => "Delete Devices",
            Permission::ManageTokens => "Manage Tokens",
            Permission::ViewAudit => "View Audit",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_ordered_and_permissions_nest() {
        assert!(Role::User.rank() < Role::Admin.rank());
        assert!(Role::Admin.rank() < Role::Owner.rank());
        for role in Role::ALL {
            for lower in Role::ALL.into_iter().filter(|r| r.rank() < role.rank()) {
                for p in lower.permissions() {
                    assert!(role.has(*p), "{role} lacks {p} which {lower} has");
                }
            }
        }
        assert!(!Role::Admin.has(Permission::CloseAccount));
        assert!(Role::Owner.has(Permission::CloseAccount));
        assert!(!Role::User.has(Permission::ViewUsers));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
