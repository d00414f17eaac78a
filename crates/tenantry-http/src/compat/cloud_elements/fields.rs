//! The names CEQL `where` clauses use for accounts and users, mapped onto Tenantry's fields.
//! `active`, `type` and `defaultAccount` are derived from an account's status and place in the
//! tree; `type` compares without regard to case (`'Default'`, `'CompanyAccount'`).

use tenantry_core::query::{FieldId, FieldKind, FieldNames, FieldSpec, Filter};

const fn field(name: &'static str, kind: FieldKind, id: FieldId, nullable: bool) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        id,
        nullable,
        sortable: false,
    }
}

const KINDS: &[&str] = &["default", "companyaccount"];

static ACCOUNT_FIELDS: &[FieldSpec] = &[
    field("id", FieldKind::Integer, FieldId::AccountId, false),
    field("name", FieldKind::TextFolded, FieldId::AccountName, false),
    field(
        "description",
        FieldKind::Text,
        FieldId::AccountDescription,
        true,
    ),
    field(
        "externalId",
        FieldKind::Text,
        FieldId::AccountExternalId,
        true,
    ),
    field(
        "createdDate",
        FieldKind::Timestamp,
        FieldId::AccountCreated,
        false,
    ),
    field("active", FieldKind::Boolean, FieldId::AccountActive, false),
    field("type", FieldKind::Enum(KINDS), FieldId::AccountKind, false),
    field(
        "defaultAccount",
        FieldKind::Boolean,
        FieldId::AccountIsRoot,
        false,
    ),
];

static USER_FIELDS: &[FieldSpec] = &[
    field("id", FieldKind::Integer, FieldId::UserId, false),
    field(
        "firstName",
        FieldKind::TextFolded,
        FieldId::UserFirstName,
        true,
    ),
    field(
        "lastName",
        FieldKind::TextFolded,
        FieldId::UserLastName,
        true,
    ),
    field("email", FieldKind::TextFolded, FieldId::UserEmail, false),
    field(
        "createdDate",
        FieldKind::Timestamp,
        FieldId::UserCreated,
        false,
    ),
    field("active", FieldKind::Boolean, FieldId::UserActive, false),
    field(
        "lastLoginDate",
        FieldKind::Timestamp,
        FieldId::UserLastLogin,
        true,
    ),
];

/// The accounts' CEQL names.
pub struct Accounts;
/// The users' CEQL names.
pub struct Users;

fn resolve(fields: &'static [FieldSpec], name: &str) -> Option<&'static FieldSpec> {
    fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

impl FieldNames for Accounts {
    fn resolve(&self, name: &str) -> Option<&'static FieldSpec> {
        resolve(ACCOUNT_FIELDS, name)
    }

    fn names(&self) -> Vec<&'static str> {
        ACCOUNT_FIELDS.iter().map(|f| f.name).collect()
    }
}

impl FieldNames for Users {
    fn resolve(&self, name: &str) -> Option<&'static FieldSpec> {
        resolve(USER_FIELDS, name)
    }

    fn names(&self) -> Vec<&'static str> {
        USER_FIELDS.iter().map(|f| f.name).collect()
    }
}

/// Whether a filter says anything about `field` (so an implicit condition on it stands aside).
pub fn mentions(filter: &Filter, field: FieldId) -> bool {
    match filter {
        Filter::And(children) | Filter::Or(children) => children.iter().any(|c| mentions(c, field)),
        Filter::Not(inner) => mentions(inner, field),
        Filter::Cmp { field: f, .. }
        | Filter::Like { field: f, .. }
        | Filter::In { field: f, .. }
        | Filter::Present(f) => f.id == field,
    }
}
