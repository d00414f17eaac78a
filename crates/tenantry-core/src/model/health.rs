//! What a store reports about itself, for readiness probes and metrics.

/// The store's schema, connections and backlog, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreHealth {
    /// The newest migration applied to the database.
    pub schema_applied: i64,
    /// The newest migration this build knows; a server is ready once the database has it.
    pub schema_expected: i64,
    /// Connections the pool holds open, of which `idle` wait unused.
    pub connections_open: u32,
    pub connections_idle: u32,
    /// The most connections the pool will open.
    pub connections_max: u32,
    /// Mails waiting in the outbox for their first or next delivery attempt.
    pub mail_pending: u64,
}

impl StoreHealth {
    /// Whether the database has every migration this build needs.
    pub fn schema_ready(&self) -> bool {
        self.schema_applied >= self.schema_expected
    }
}
