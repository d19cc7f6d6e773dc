//! Diesel's view of the tables queried through the DSL. Kept by hand: the
//! data inventory test fails when a migration changes a table listed here
//! without the docs, and queries fail to compile when a column is renamed.

diesel::table! {
    upsignon_schema_ledger (version) {
        version -> Text,
        name -> Text,
        checksum -> Text,
        down_sql -> Text,
        irreversible -> Bool,
        applied_by -> Text,
        applied_at -> BigInt,
    }
}

diesel::table! {
    tenants (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        settings -> Text,
        stopped -> Bool,
        new_url -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    admins (id) {
        id -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        totp_secret -> Nullable<Text>,
        role -> Text,
        created_at -> BigInt,
        last_sign_in_at -> Nullable<BigInt>,
        failed_sign_ins -> Integer,
        locked_until -> Nullable<BigInt>,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    admin_sessions (token_hash) {
        token_hash -> Text,
        admin_id -> Text,
        ip -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        last_seen_at -> BigInt,
    }
}

diesel::table! {
    admin_tenants (admin_id, tenant_id) {
        admin_id -> Text,
        tenant_id -> Text,
    }
}

diesel::table! {
    admin_sign_in_codes (id) {
        id -> Text,
        admin_id -> Text,
        code_hash -> Text,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::joinable!(admin_tenants -> admins (admin_id));
diesel::joinable!(admin_tenants -> tenants (tenant_id));
diesel::joinable!(admin_sign_in_codes -> admins (admin_id));
diesel::joinable!(admin_sessions -> admins (admin_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    admins,
    admin_tenants,
    admin_sign_in_codes,
    admin_sessions
);

diesel::table! {
    upsignon_release_ledger (id) {
        id -> Text,
        version -> Text,
        schema_head -> Text,
        binary_sha256 -> Text,
        binary_path -> Text,
        installed_by -> Text,
        installed_at -> BigInt,
    }
}

diesel::table! {
    server_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    allowed_emails (id) {
        id -> Text,
        tenant_id -> Text,
        pattern -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Text,
        email -> Text,
        sharing_public_key -> Nullable<Text>,
        signing_public_key -> Nullable<Text>,
        settings_override -> Text,
        deactivated -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    vaults (user_id) {
        user_id -> Text,
        encrypted_data -> Text,
        version -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        tenant_id -> Text,
        user_id -> Text,
        device_uid -> Text,
        name -> Text,
        device_type -> Nullable<Text>,
        os_family -> Text,
        os_version -> Nullable<Text>,
        app_version -> Nullable<Text>,
        public_key -> Nullable<Text>,
        status -> Text,
        created_at -> BigInt,
        authorized_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        last_seen_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    device_codes (device_id) {
        device_id -> Text,
        code_hash -> Text,
        expires_at -> BigInt,
        failed_attempts -> Integer,
        created_at -> BigInt,
    }
}

diesel::table! {
    device_challenges (id) {
        id -> Text,
        device_id -> Text,
        challenge -> Text,
        expires_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    device_sessions (token_hash) {
        token_hash -> Text,
        tenant_id -> Text,
        user_id -> Text,
        device_id -> Text,
        expires_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    vault_password_checks (user_id) {
        user_id -> Text,
        kdf -> Text,
        challenge -> Text,
        response_hash -> Text,
        updated_at -> BigInt,
    }
}

diesel::joinable!(devices -> users (user_id));
diesel::joinable!(vaults -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, devices, vaults, tenants);

diesel::table! {
    password_stats (id) {
        id -> Text,
        tenant_id -> Text,
        user_id -> Nullable<Text>,
        shared_vault_id -> Nullable<Text>,
        recorded_at -> BigInt,
        nb_accounts -> Integer,
        nb_codes -> Integer,
        nb_strong -> Integer,
        nb_medium -> Integer,
        nb_weak -> Integer,
        nb_duplicated -> Integer,
        nb_without_password -> Integer,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        tenant_id -> Nullable<Text>,
        actor_kind -> Text,
        actor -> Text,
        action -> Text,
        target -> Nullable<Text>,
        ip -> Nullable<Text>,
        details -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    shared_vaults (id) {
        id -> Text,
        tenant_id -> Text,
        name -> Text,
        encrypted_data -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    shared_vault_members (shared_vault_id, user_id) {
        shared_vault_id -> Text,
        user_id -> Text,
        access_level -> Text,
        encrypted_vault_key -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    shared_vault_accounts (shared_vault_id, account_ref) {
        shared_vault_id -> Text,
        account_ref -> Text,
        urls -> Text,
        login -> Nullable<Text>,
    }
}

diesel::joinable!(shared_vault_members -> shared_vaults (shared_vault_id));
diesel::joinable!(shared_vault_members -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(shared_vaults, shared_vault_members, users);

diesel::table! {
    password_backups (device_id) {
        device_id -> Text,
        user_id -> Text,
        encrypted_password -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        device_id -> Text,
        status -> Text,
        token_hash -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        failed_attempts -> Integer,
        created_at -> BigInt,
    }
}

diesel::joinable!(password_resets -> devices (device_id));
diesel::allow_tables_to_appear_in_same_query!(password_resets, devices);
diesel::allow_tables_to_appear_in_same_query!(password_resets, users);
