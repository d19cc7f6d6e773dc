-- pgbench script: the statements upsignon runs on PostgreSQL for one
-- get-vault-data followed by one update-vault-data of the same vault (the
-- reference client's sync cycle), so one pgbench transaction = 2 requests.
-- Read from crates/upsignon-store/src/queries/{settings,tenants,sessions,
-- devices,users,vaults,shared_vaults}.rs and client_api/{context,vault_data}.rs:
--   every request: the pool's check-out test (SELECT 1, r2d2 test_on_check_out),
--     the maintenance flag, the tenant by slug, the session by token hash,
--     its device, its user (context::signed_in);
--   get: the vault, then the shared vaults the user is a member of;
--   update: BEGIN, the version-checked UPDATE, COMMIT (Store::transaction_on).
-- Values the server gets from a previous row are chained with \gset, as the
-- server chains them in Rust. Needs -M prepared (or extended): the vault is
-- sent back as a bound parameter, as diesel does, never spliced into the SQL.
--
-- One statement is ours, not the server's: bench_keys maps a random number
-- to a session's token hash (the server gets the hash from the request).
-- It is a primary-key lookup, so it makes this baseline a little slower.
--
-- pgbench -n -M prepared -D users=N -f vault_sync.pgbench.sql DB
\set n random(1, :users)
\set now 1763900000000
SELECT token_hash AS th FROM bench_keys WHERE n = :n \gset

-- get-vault-data
SELECT 1;
SELECT value FROM server_settings WHERE name = 'maintenance' LIMIT 1;
SELECT id, slug, name, settings, stopped, new_url, created_at FROM tenants WHERE slug = 'bench' LIMIT 1 \gset t_
SELECT token_hash, tenant_id, user_id, device_id, expires_at, created_at FROM device_sessions WHERE token_hash = :th LIMIT 1 \gset s_
SELECT id, tenant_id, user_id, device_uid, name, device_type, os_family, os_version, app_version, public_key, status, created_at, authorized_at, revoked_at, last_seen_at FROM devices WHERE id = :s_device_id LIMIT 1;
SELECT id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at FROM users WHERE tenant_id = :t_id AND id = :s_user_id LIMIT 1;
SELECT user_id, encrypted_data, version, updated_at FROM vaults WHERE user_id = :s_user_id LIMIT 1 \gset v_
SELECT shared_vaults.id, shared_vaults.tenant_id, shared_vaults.name, shared_vaults.encrypted_data, shared_vaults.version, shared_vaults.created_at, shared_vaults.updated_at, shared_vault_members.shared_vault_id, shared_vault_members.user_id, shared_vault_members.access_level, shared_vault_members.encrypted_vault_key, shared_vault_members.created_at FROM shared_vaults INNER JOIN shared_vault_members ON shared_vault_members.shared_vault_id = shared_vaults.id WHERE shared_vault_members.user_id = :s_user_id ORDER BY shared_vaults.created_at ASC;

-- update-vault-data, with the version just read
\set nv :v_version + 1
SELECT 1;
SELECT value FROM server_settings WHERE name = 'maintenance' LIMIT 1;
SELECT id, slug, name, settings, stopped, new_url, created_at FROM tenants WHERE slug = 'bench' LIMIT 1;
SELECT token_hash, tenant_id, user_id, device_id, expires_at, created_at FROM device_sessions WHERE token_hash = :th LIMIT 1;
SELECT id, tenant_id, user_id, device_uid, name, device_type, os_family, os_version, app_version, public_key, status, created_at, authorized_at, revoked_at, last_seen_at FROM devices WHERE id = :s_device_id LIMIT 1;
SELECT id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at FROM users WHERE tenant_id = :t_id AND id = :s_user_id LIMIT 1;
BEGIN;
UPDATE vaults SET encrypted_data = :v_encrypted_data, version = :nv, updated_at = :now WHERE user_id = :s_user_id AND version = :v_version;
COMMIT;
