//! A site for the backup tests: its own database (a fresh SQLite file or
//! PostgreSQL database), a config file with a backup key, the schema
//! migrated, and the `upsignon` binary run against it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use upsignon_config::Config;
use upsignon_ops::backup::Keys;
use upsignon_store::{Store, dump, introspect};
use upsignon_testkit::{Backend, TestDatabase};

/// Writes a new backup key to `dir/name`, mode 0600.
pub fn key_file(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, upsignon_ops::backup::generate_key_file_text()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

pub struct Site {
    pub db: TestDatabase,
    pub config: Config,
    pub config_file: PathBuf,
}

impl Site {
    pub fn new(backend: Backend, key: &Path) -> Site {
        let db = TestDatabase::new(backend);
        let config = Config {
            database_url: Some(db.url.clone()),
            state_dir: db.dir.path().join("state"),
            backup_dir: Some(db.dir.path().join("backups")),
            backup_key_file: Some(key.to_path_buf()),
            ..Config::default()
        };
        let config_file = db.dir.path().join("upsignon.toml");
        std::fs::write(
            &config_file,
            format!(
                "database_url = \"{}\"\nstate_dir = \"{}\"\nbackup_dir = \"{}\"\nbackup_key_file = \"{}\"\n",
                db.url_string(),
                config.state_dir.display(),
                config.backups().display(),
                key.display()
            ),
        )
        .unwrap();
        let site = Site {
            db,
            config,
            config_file,
        };
        site.store().migrate_up("test").unwrap();
        site
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db.url, 1).unwrap()
    }

    pub fn keys(&self) -> Keys {
        Keys::of(&self.config).unwrap()
    }

    /// `upsignon --config FILE ARGS...`, with a bare environment and no stdin.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(super::binary());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("--config")
            .arg(&self.config_file)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Every row of every table as text, sorted per table.
    pub fn rows_by_table(&self) -> Vec<(String, Vec<String>)> {
        let store = self.store();
        let mut conn = store.connection().unwrap();
        dump::tables_in_creation_order(&mut conn)
            .unwrap()
            .into_iter()
            .map(|t| {
                let mut rows = introspect::rows(&mut conn, &t).unwrap();
                rows.sort();
                (t, rows)
            })
            .collect()
    }
}
