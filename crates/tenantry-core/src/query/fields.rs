//! What each listable resource exposes to filters and sorts.
//!
//! A field has the name the native API uses, a type that literals are checked against, and a
//! [`FieldId`] that stores map to a column. Other surfaces map their own names (`firstName`,
//! `createdDate`) onto these fields with [`ListResource::field`] plus an alias table of their own.

/// The type of a field, which decides the literals and operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Compared case-insensitively (stored in a normalised, lower-cased form).
    TextFolded,
    /// Compared exactly.
    Text,
    Integer,
    Boolean,
    Timestamp,
    /// One of a fixed set of lower-case words.
    Enum(&'static [&'static str]),
}

/// Every filterable column, across resources; a store maps each to its SQL column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldId {
    AccountId,
    AccountParentId,
    AccountName,
    AccountEmail,
    AccountDescription,
    AccountExternalId,
    AccountStatus,
    AccountDeviceSeats,
    AccountCreated,
    AccountUpdated,
    AccountActivity,
    /// Derived: whether the status is active (Cloud Elements' `active`).
    AccountActive,
    /// Derived: whether the account is a root (Cloud Elements' `defaultAccount`).
    AccountIsRoot,
    /// Derived: `default` for a root, `companyaccount` below (Cloud Elements' `type`).
    AccountKind,
    UserId,
    UserAccountId,
    UserEmail,
    UserUsername,
    UserFirstName,
    UserLastName,
    UserRole,
    UserStatus,
    UserEmailVerified,
    UserCreated,
    UserUpdated,
    UserLastLogin,
    /// Derived: whether the status is active (Cloud Elements' `active`).
    UserActive,
    DeviceId,
    DeviceAccountId,
    DeviceName,
    DeviceSerial,
    DeviceIsTest,
    DeviceCreated,
    AuditId,
    AuditActor,
    AuditAction,
    AuditTargetType,
    AuditTargetId,
    AuditRequestId,
    AuditAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    pub id: FieldId,
    /// May be `null`.
    pub nullable: bool,
    /// May be used as `sort` (an index exists to walk it in order).
    pub sortable: bool,
}

const fn field(name: &'static str, kind: FieldKind, id: FieldId) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        id,
        nullable: false,
        sortable: false,
    }
}

const fn nullable(spec: FieldSpec) -> FieldSpec {
    FieldSpec {
        nullable: true,
        ..spec
    }
}

const fn sortable(spec: FieldSpec) -> FieldSpec {
    FieldSpec {
        sortable: true,
        ..spec
    }
}

pub const ACCOUNT_STATUSES: &[&str] = &["active", "suspended", "deactivated"];
pub const USER_STATUSES: &[&str] = &["active", "disabled"];
pub const ROLES: &[&str] = &["user", "admin", "owner"];

use FieldId as F;
use FieldKind as K;

const ACCOUNT_FIELDS: &[FieldSpec] = &[
    sortable(field("id", K::Integer, F::AccountId)),
    nullable(field("parent_id", K::Integer, F::AccountParentId)),
    sortable(field("name", K::TextFolded, F::AccountName)),
    nullable(field("email", K::TextFolded, F::AccountEmail)),
    nullable(field("description", K::Text, F::AccountDescription)),
    nullable(field("external_id", K::Text, F::AccountExternalId)),
    field("status", K::Enum(ACCOUNT_STATUSES), F::AccountStatus),
    field("device_seats", K::Integer, F::AccountDeviceSeats),
    sortable(field("created", K::Timestamp, F::AccountCreated)),
    field("updated", K::Timestamp, F::AccountUpdated),
    field("activity", K::Timestamp, F::AccountActivity),
];

const USER_FIELDS: &[FieldSpec] = &[
    sortable(field("id", K::Integer, F::UserId)),
    field("account_id", K::Integer, F::UserAccountId),
    sortable(field("email", K::TextFolded, F::UserEmail)),
    nullable(field("username", K::TextFolded, F::UserUsername)),
    nullable(field("first_name", K::TextFolded, F::UserFirstName)),
    nullable(field("last_name", K::TextFolded, F::UserLastName)),
    field("role", K::Enum(ROLES), F::UserRole),
    field("status", K::Enum(USER_STATUSES), F::UserStatus),
    field("email_verified", K::Boolean, F::UserEmailVerified),
    sortable(field("created", K::Timestamp, F::UserCreated)),
    field("updated", K::Timestamp, F::UserUpdated),
    nullable(field("last_login", K::Timestamp, F::UserLastLogin)),
];

const DEVICE_FIELDS: &[FieldSpec] = &[
    sortable(field("id", K::Integer, F::DeviceId)),
    field("account_id", K::Integer, F::DeviceAccountId),
    sortable(field("name", K::TextFolded, F::DeviceName)),
    sortable(field("serial", K::Text, F::DeviceSerial)),
    field("is_test", K::Boolean, F::DeviceIsTest),
    sortable(field("created", K::Timestamp, F::DeviceCreated)),
];

const AUDIT_FIELDS: &[FieldSpec] = &[
    sortable(field("id", K::Integer, F::AuditId)),
    field("actor", K::Text, F::AuditActor),
    field("action", K::Text, F::AuditAction),
    field("target_type", K::Text, F::AuditTargetType),
    nullable(field("target_id", K::Integer, F::AuditTargetId)),
    nullable(field("request_id", K::Text, F::AuditRequestId)),
    field("at", K::Timestamp, F::AuditAt),
];

/// How a surface names the fields of a resource. The native API uses the catalogue's names
/// (case-insensitively); other surfaces map their own spellings onto the same fields.
pub trait FieldNames {
    fn resolve(&self, name: &str) -> Option<&'static FieldSpec>;
    /// Every accepted name, for error messages.
    fn names(&self) -> Vec<&'static str>;
}

impl FieldNames for ListResource {
    fn resolve(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields()
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    fn names(&self) -> Vec<&'static str> {
        self.fields().iter().map(|f| f.name).collect()
    }
}

/// The error for a name `fields` does not know.
pub fn unknown_field(fields: &dyn FieldNames, name: &str) -> String {
    format!(
        "unknown field {name:?}; expected one of: {}",
        fields.names().join(", ")
    )
}

/// The resources that can be listed, filtered and sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListResource {
    Accounts,
    Users,
    Devices,
    Audit,
}

impl ListResource {
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            ListResource::Accounts => ACCOUNT_FIELDS,
            ListResource::Users => USER_FIELDS,
            ListResource::Devices => DEVICE_FIELDS,
            ListResource::Audit => AUDIT_FIELDS,
        }
    }

    /// The field with this native name.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }

    pub fn id_field(self) -> &'static FieldSpec {
        &self.fields()[0]
    }

    /// The order lists take when the client names none: oldest first, except the audit trail,
    /// which reads newest first.
    pub fn default_sort(self) -> super::list::SortKey {
        let order = match self {
            ListResource::Audit => super::list::SortOrder::Desc,
            _ => super::list::SortOrder::Asc,
        };
        super::list::SortKey::by_id(self, order)
    }

    /// Whether `q=` free-text search (backed by a search index) is offered.
    pub fn searchable_by_text(self) -> bool {
        matches!(self, ListResource::Accounts | ListResource::Users)
    }

    /// The text fields free-text search (`q=`) looks in.
    pub fn searchable(self) -> &'static [FieldId] {
        match self {
            ListResource::Accounts => &[F::AccountName, F::AccountEmail, F::AccountExternalId],
            ListResource::Users => &[
                F::UserEmail,
                F::UserUsername,
                F::UserFirstName,
                F::UserLastName,
            ],
            ListResource::Devices => &[F::DeviceName, F::DeviceSerial],
            ListResource::Audit => &[F::AuditAction, F::AuditActor, F::AuditRequestId],
        }
    }

    pub fn spec(self, id: FieldId) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.id == id)
    }

    /// A phrase naming the fields, for error messages.
    pub fn field_names(self) -> String {
        self.fields()
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_start_with_a_sortable_id_and_have_unique_names() {
        for resource in [
            ListResource::Accounts,
            ListResource::Users,
            ListResource::Devices,
            ListResource::Audit,
        ] {
            let id = resource.id_field();
            assert_eq!(id.name, "id");
            assert!(id.sortable);
            let mut names: Vec<_> = resource.fields().iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), resource.fields().len());
            for searchable in resource.searchable() {
                let spec = resource.spec(*searchable).unwrap();
                assert!(matches!(spec.kind, FieldKind::Text | FieldKind::TextFolded));
            }
        }
    }
}
