-- Test-only: a newer release adds a table.
CREATE TABLE vault_notes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    encrypted_note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
