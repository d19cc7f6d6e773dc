-- The supervision console. Admin sign-in state: failed attempts and a
-- lockout, and the last TOTP time step used (a code is never accepted twice).
ALTER TABLE admins ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admins ADD COLUMN locked_until BIGINT;
ALTER TABLE admins ADD COLUMN totp_last_step BIGINT;
-- A signed-in browser: only a SHA-256 of the cookie's token is kept.
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    admin_id TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    ip TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_id);
CREATE INDEX audit_events_by_time ON audit_events (created_at);
-- get-vault-data lists the shared vaults of a user on every call.
CREATE INDEX shared_vault_members_by_user ON shared_vault_members (user_id);
