//! Devices: each non-test device occupies one seat of its account.

use std::sync::Arc;

use serde_json::json;

use super::{Deps, Within};
use crate::auth::{Caller, Permission};
use crate::error::{Error, Resource, Result};
use crate::model::device::NewDevice;
use crate::model::{AccountId, Device, DeviceId};
use crate::query::{ListPage, ListRequest, ListResource};
use crate::values::Text;

#[derive(Debug, Clone)]
pub struct CreateDevice {
    pub name: Text,
    pub serial: Text,
    pub is_test: bool,
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
            now,
        };
        let audit = caller
            .audit("device.create", now)
            .with_details(json!({ "is_test": command.is_test }));
        self.deps.store.insert_device(new, audit).await
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
