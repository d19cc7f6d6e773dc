//! Embeds every migration under `migrations/{sqlite,postgres}/` into the
//! binary, and refuses to build when the two backends do not have the same
//! versions or a migration lacks its `down.sql`.
//!
//! `UPSIGNON_EXTRA_MIGRATIONS=DIR` (with `DIR/sqlite` and `DIR/postgres`)
//! adds migrations to the build: the upgrade tests use it to build a real
//! "newer release" of the server. Release builds never set it.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-env-changed=UPSIGNON_EXTRA_MIGRATIONS");
    let extra = std::env::var_os("UPSIGNON_EXTRA_MIGRATIONS").map(PathBuf::from);
    let with_extra = |backend: &str| {
        let mut dirs = migration_dirs(&root.join(backend));
        if let Some(extra) = &extra {
            println!("cargo:rerun-if-changed={}", extra.display());
            dirs.extend(migration_dirs(&extra.join(backend)));
            dirs.sort_by_key(|d| d.file_name().unwrap().to_owned());
        }
        dirs
    };
    let sqlite = with_extra("sqlite");
    let postgres = with_extra("postgres");
    let names = |dirs: &[PathBuf]| {
        dirs.iter()
            .map(|d| d.file_name().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&sqlite),
        names(&postgres),
        "migrations/sqlite and migrations/postgres must hold the same migration folders"
    );
    let mut out = String::new();
    for (constant, dirs) in [("SQLITE", &sqlite), ("POSTGRES", &postgres)] {
        writeln!(out, "static {constant}: &[EmbeddedMigration] = &[").unwrap();
        for dir in dirs {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    dir.join(file).is_file(),
                    "{} has no {file}: every migration needs both",
                    dir.display()
                );
            }
            writeln!(
                out,
                "    EmbeddedMigration {{ dir: {:?}, up: include_str!({:?}), down: include_str!({:?}) }},",
                dir.file_name().unwrap().to_str().unwrap(),
                dir.join("up.sql"),
                dir.join("down.sql"),
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_migrations.rs");
    fs::write(dest, out).unwrap();
}

fn migration_dirs(backend: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(backend)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", backend.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}
