-- One-time codes an admin signs in with the first time (printed once by
-- `upsignon install`). Only a SHA-256 of the 128-bit random code is kept.
CREATE TABLE admin_sign_in_codes (
    id TEXT PRIMARY KEY NOT NULL,
    admin_id TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX admin_sign_in_codes_by_admin ON admin_sign_in_codes (admin_id);
