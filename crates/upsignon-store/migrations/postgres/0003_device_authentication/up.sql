-- Device authorisation and authentication.
-- A device-authorisation code: only a SHA-256 of the random code is kept;
-- single use, expiring, with a bounded number of wrong attempts.
CREATE TABLE device_codes (
    device_id TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
-- Random challenges a device signs with its key; single use, short-lived.
CREATE TABLE device_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    challenge TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_challenges_by_device ON device_challenges (device_id);
-- Sessions: only a SHA-256 of the bearer token is kept.
CREATE TABLE device_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX device_sessions_by_device ON device_sessions (device_id);
-- How a user's devices prove the master password without sending it: the
-- key-derivation settings and the challenge (clear, any device needs them)
-- and a SHA-256 of the expected response (a dump yields no valid response).
CREATE TABLE vault_password_checks (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kdf TEXT NOT NULL,
    challenge TEXT NOT NULL,
    response_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
