//! How each listed record yields its position for the next page's cursor: its id and the value
//! of the field the list is sorted by, in the form the store compares (folded text for
//! case-folded fields).

use super::ast::Value;
use super::fields::FieldId;
use crate::model::{Account, AuditRecord, Device, User};
use crate::values::fold;

pub trait Keyed {
    fn id(&self) -> i64;
    /// The value of a sortable field; `Value::Int(id)` for fields that are not sortable.
    fn sort_value(&self, field: FieldId) -> Value;
}

impl Keyed for Account {
    fn id(&self) -> i64 {
        self.id.get()
    }

    fn sort_value(&self, field: FieldId) -> Value {
        match field {
            FieldId::AccountName => Value::Text(fold(&self.name)),
            FieldId::AccountCreated => Value::Time(self.created),
            _ => Value::Int(self.id.get()),
        }
    }
}

impl Keyed for User {
    fn id(&self) -> i64 {
        self.id.get()
    }

    fn sort_value(&self, field: FieldId) -> Value {
        match field {
            FieldId::UserEmail => Value::Text(fold(&self.email)),
            FieldId::UserCreated => Value::Time(self.created),
            _ => Value::Int(self.id.get()),
        }
    }
}

impl Keyed for Device {
    fn id(&self) -> i64 {
        self.id.get()
    }

    fn sort_value(&self, field: FieldId) -> Value {
        match field {
            FieldId::DeviceName => Value::Text(fold(&self.name)),
            FieldId::DeviceSerial => Value::Text(self.serial.clone()),
            FieldId::DeviceCreated => Value::Time(self.created),
            _ => Value::Int(self.id.get()),
        }
    }
}

impl Keyed for AuditRecord {
    fn id(&self) -> i64 {
        self.id.get()
    }

    fn sort_value(&self, _field: FieldId) -> Value {
        Value::Int(self.id.get())
    }
}
