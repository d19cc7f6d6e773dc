-- Password recovery. A device's copy of the master password, encrypted by
-- the app with a key only that device holds (opaque to the server).
CREATE TABLE password_backups (
    device_id TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    encrypted_password TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A device's request to get its backup back after a forgotten password:
-- granted by an admin or, by tenant policy, at once with an emailed token
-- (only a SHA-256 of the token is kept).
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    token_hash TEXT,
    expires_at BIGINT,
    failed_attempts INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_resets_by_device ON password_resets (device_id);
