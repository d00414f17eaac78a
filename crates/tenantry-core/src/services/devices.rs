//! Devices: each non-test device occupies one seat of its account. A device joins either by an
//! admin adding it, or by presenting a certificate request token of the account it joins.

use std::sync::Arc;

use serde_json::json;

use super::{Deps, Within};
use crate::auth::certificate_token;
use crate::auth::{Caller, Permission};
use crate::error::{Error, Resource, Result};
use crate::model::device::{DeviceChanges, DeviceStatistics, NewDevice};
use crate::model::device_tokens;
use crate::model::{AccountId, Actor, AuditDraft, Device, DeviceId};
use crate::query::{ListPage, ListRequest, ListResource};
use crate::values::Text;

#[derive(Debug, Clone)]
pub struct CreateDevice {
    pub name: Text,
    pub serial: Text,
    pub is_test: bool,
    pub is_cell: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateDevice {
    pub name: Option<Text>,
    pub connected: Option<bool>,
}

#[derive(Clone)]
pub struct DeviceService {
    deps: Arc<Deps>,
}

impl DeviceService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        account_id: AccountId,
        command: CreateDevice,
    ) -> Result<Device> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::AddDevices, &account.path, Resource::Account)?;
        let now = self.deps.clock.now();
        let new = NewDevice {
            account_id,
            name: command.name.into_string(),
            serial: command.serial.into_string(),
            is_test: command.is_test,
            is_cell: command.is_cell,
            enrolled_with: None,
            now,
        };
        let audit = caller
            .audit("device.create", now)
            .with_details(json!({ "is_test": command.is_test }));
        self.deps.store.insert_device(new, audit).await
    }

    /// Adds a device to the account whose certificate request token it presents. The token is
    /// the device's only credential, so every failure answers the same `Unauthenticated`.
    pub async fn enrol(
        &self,
        token: &str,
        command: CreateDevice,
        request_id: Option<String>,
    ) -> Result<Device> {
        let refused = device_tokens::certificate_token_refused;
        if !certificate_token::is_well_formed(token) {
            return Err(refused());
        }
        let hash = certificate_token::hash(token);
        let now = self.deps.clock.now();
        let (certificate, _) = self
            .deps
            .store
            .certificate_token_by_hash(&hash)
            .await?
            .filter(|(t, stored)| stored.ct_eq(&hash) && t.expires > now)
            .ok_or_else(refused)?;
        let new = NewDevice {
            account_id: certificate.account_id,
            name: command.name.into_string(),
            serial: command.serial.into_string(),
            is_test: command.is_test,
            is_cell: command.is_cell,
            enrolled_with: Some(hash),
            now,
        };
        let audit = AuditDraft {
            actor: Actor::Anonymous,
            action: "device.enrol",
            request_id,
            details: json!({ "certificate_token_id": certificate.id.get() }),
            at: now,
        };
        self.deps.store.insert_device(new, audit).await
    }

    /// Renames a device or records whether it is connected. Needs "Edit Devices".
    pub async fn update(
        &self,
        caller: &Caller,
        id: DeviceId,
        command: UpdateDevice,
    ) -> Result<Device> {
        let device = self.load(id).await?;
        caller.require(
            Permission::EditDevices,
            &device.account_path,
            Resource::Device,
        )?;
        if command.name.is_none() && command.connected.is_none() {
            return Err(Error::invalid("the request changes nothing"));
        }
        let now = self.deps.clock.now();
        let audit = caller
            .audit("device.update", now)
            .with_details(json!({ "connected": command.connected }));
        let changes = DeviceChanges {
            name: command.name.map(Text::into_string),
            connected: command.connected,
            now,
        };
        self.deps.store.update_device(id, changes, audit).await
    }

    /// Device counts of an account and of everything below it. Needs "View Devices" there.
    pub async fn statistics(
        &self,
        caller: &Caller,
        account_id: AccountId,
    ) -> Result<(crate::model::Account, DeviceStatistics)> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::ViewDevices, &account.path, Resource::Account)?;
        let statistics = self.deps.store.device_statistics(&account).await?;
        Ok((account, statistics))
    }

    pub async fn get(&self, caller: &Caller, id: DeviceId) -> Result<Device> {
        let device = self.load(id).await?;
        caller.require(
            Permission::ViewDevices,
            &device.account_path,
            Resource::Device,
        )?;
        Ok(device)
    }

    pub async fn delete(&self, caller: &Caller, id: DeviceId) -> Result<()> {
        let device = self.load(id).await?;
        caller.require(
            Permission::DeleteDevices,
            &device.account_path,
            Resource::Device,
        )?;
        let audit = caller.audit("device.delete", self.deps.clock.now());
        self.deps.store.delete_device(id, audit).await
    }

    /// Devices within part of the tree. Needs "View Devices" over that part.
    pub async fn list(
        &self,
        caller: &Caller,
        within: Within,
        mut request: ListRequest,
    ) -> Result<ListPage<Device>> {
        self.deps.prepare(&mut request, ListResource::Devices)?;
        let scope = self
            .deps
            .scope(caller, within, Permission::ViewDevices)
            .await?;
        let rows = self.deps.store.list_devices(&scope, &request).await?;
        self.deps.page(rows, &scope, &request).await
    }

    async fn load(&self, id: DeviceId) -> Result<Device> {
        self.deps
            .store
            .device(id)
            .await?
            .ok_or(Error::NotFound(Resource::Device))
    }
}
