-- A tenant's users by first or last name. A common family name is shared by thousands of users
-- across an installation but by few in one tenant, so the tenant and the name are looked up
-- together instead of walking either the tenant's users or the name's.
CREATE INDEX users_tenant_first_name ON users (tenant_id, first_name_norm, id);
CREATE INDEX users_tenant_last_name ON users (tenant_id, last_name_norm, id);
