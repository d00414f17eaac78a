//! Where each filterable field lives. Case-folded fields map to their `*_norm` column, which
//! the stores fill with [`tenantry_core::values::fold`] of the value, so comparisons, ranges and
//! sorting ignore case the same way on both databases.

use tenantry_core::query::FieldId;

pub fn column(field: FieldId) -> &'static str {
    use FieldId::*;
    match field {
        AccountId | UserId | DeviceId | AuditId => "id",
        AccountParentId => "parent_id",
        AccountName | DeviceName => "name_norm",
        AccountEmail | UserEmail => "email_norm",
        AccountDescription => "description",
        AccountExternalId => "external_id",
        AccountStatus | UserStatus => "status",
        AccountDeviceSeats => "device_seats",
        AccountCreated | UserCreated | DeviceCreated => "created_at",
        AccountUpdated | UserUpdated => "updated_at",
        AccountActivity => "activity_at",
        UserAccountId | DeviceAccountId => "account_id",
        UserUsername => "username_norm",
        UserFirstName => "first_name_norm",
        UserLastName => "last_name_norm",
        UserRole => "role",
        UserEmailVerified => "email_verified",
        UserLastLogin => "last_login_at",
        DeviceSerial => "serial",
        DeviceIsTest => "is_test",
        AuditActor => "actor",
        AuditAction => "action",
        AuditTargetType => "target_type",
        AuditTargetId => "target_id",
        AuditRequestId => "request_id",
        AuditAt => "at",
        // Derived fields other surfaces filter on; both databases compare these expressions
        // with booleans and lower-case words alike.
        AccountActive | UserActive => "(status = 'active')",
        AccountIsRoot => "(parent_id IS NULL)",
        AccountKind => "(CASE WHEN parent_id IS NULL THEN 'default' ELSE 'companyaccount' END)",
    }
}
