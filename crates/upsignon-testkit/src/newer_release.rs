use std::path::PathBuf;

use upsignon_store::Backend;
use upsignon_store::migrations::{self, Migration};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The migrations of a pretend newer release: everything this build embeds,
/// plus two test-only migrations (one adds a column with data, one adds a
/// table). Applying them makes the schema "ahead" of the real binary.
pub fn newer_release_migrations(backend: Backend) -> Vec<Migration> {
    let dir = crate_dir().join("migrations-newer").join(match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    });
    let mut all = migrations::embedded(backend);
    all.extend(migrations::load_dir(&dir).expect("test migrations"));
    all
}

/// The rows a migration's test writes through its schema, from
/// `upsignon-store/migrations/fixtures/` or this crate's `migrations-newer/fixtures/`.
pub fn fixture_sql(migration: &Migration) -> Option<String> {
    let file = format!("{}_{}.sql", migration.version, migration.name);
    [
        crate_dir()
            .join("../upsignon-store/migrations/fixtures")
            .join(&file),
        crate_dir().join("migrations-newer/fixtures").join(&file),
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok())
}
