-- The initial schema. Every column is listed in docs/data-inventory.md.
-- Identifiers are random UUIDs in TEXT and times are Unix milliseconds in
-- BIGINT, so rows move between SQLite and PostgreSQL unchanged.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    stopped BOOLEAN NOT NULL DEFAULT FALSE,
    new_url TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE allowed_emails (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    pattern TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, pattern)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    sharing_public_key TEXT,
    signing_public_key TEXT,
    settings_override TEXT NOT NULL DEFAULT '{}',
    deactivated BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE vaults (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    encrypted_data TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_uid TEXT NOT NULL,
    name TEXT NOT NULL,
    device_type TEXT,
    os_family TEXT NOT NULL,
    os_version TEXT,
    app_version TEXT,
    public_key TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    authorized_at BIGINT,
    revoked_at BIGINT,
    last_seen_at BIGINT,
    UNIQUE (user_id, device_uid)
);

CREATE TABLE shared_vaults (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    encrypted_data TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE shared_vault_members (
    shared_vault_id TEXT NOT NULL REFERENCES shared_vaults (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_level TEXT NOT NULL,
    encrypted_vault_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (shared_vault_id, user_id)
);

CREATE TABLE shared_vault_accounts (
    shared_vault_id TEXT NOT NULL REFERENCES shared_vaults (id) ON DELETE CASCADE,
    account_ref TEXT NOT NULL,
    urls TEXT NOT NULL,
    login TEXT,
    PRIMARY KEY (shared_vault_id, account_ref)
);

CREATE TABLE password_stats (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    shared_vault_id TEXT REFERENCES shared_vaults (id) ON DELETE CASCADE,
    recorded_at BIGINT NOT NULL,
    nb_accounts INTEGER NOT NULL,
    nb_codes INTEGER NOT NULL,
    nb_strong INTEGER NOT NULL,
    nb_medium INTEGER NOT NULL,
    nb_weak INTEGER NOT NULL,
    nb_duplicated INTEGER NOT NULL,
    nb_without_password INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (shared_vault_id IS NULL))
);
CREATE INDEX password_stats_by_tenant ON password_stats (tenant_id, recorded_at);

CREATE TABLE admins (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    totp_secret TEXT,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT
);

CREATE TABLE admin_tenants (
    admin_id TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (admin_id, tenant_id)
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE SET NULL,
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    details TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, created_at);

CREATE TABLE server_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
