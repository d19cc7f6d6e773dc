//! `upsignon backup [verify|list]` and `upsignon restore` on the command
//! line: resolve paths from the config, call `upsignon_ops::backup`, print
//! the one-line result (with a progress line on a terminal).

use std::path::{Path, PathBuf};

use upsignon_config::Config;
use upsignon_ops::backup::{self, BackupError};
use upsignon_store::Store;

use crate::cli::BackupCommand;
use crate::progress::ProgressLine;

fn key(config: &Config) -> Result<&Path, BackupError> {
    config.backup_key_file.as_deref().ok_or(BackupError::NoKey)
}

pub fn backup(
    config: &Config,
    action: Option<BackupCommand>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    match action {
        None => {
            let keys = backup::Keys::of(config)?;
            let store = Store::open(&config.database(), 1)?;
            let mut line = ProgressLine::new("backing up");
            let mut progress = |p: backup::Progress<'_>| line.update(p);
            let report = match out {
                Some(out) => backup::backup_with_progress(&store, &keys, &out, &mut progress),
                None => backup::backup_named(
                    &store,
                    &keys,
                    &config.backups(),
                    "upsignon",
                    &mut progress,
                ),
            };
            line.finish();
            println!("{}", report?);
        }
        Some(BackupCommand::Verify { file }) => {
            println!("{}", backup::verify(&file, key(config)?)?)
        }
        Some(BackupCommand::Keygen { file }) => {
            upsignon_ops::backup::write_new_key_file(&file)?;
            println!(
                "backup key written to {} (mode 0640): set backup_key_file = \"{}\" and keep a copy away from the server",
                file.display(),
                file.display()
            );
        }
        Some(BackupCommand::List) => {
            let dir = config.backups();
            let found = backup::list(&dir);
            if found.is_empty() {
                println!("no backup in {}: run `upsignon backup`", dir.display());
            }
            for item in found {
                let when = time::OffsetDateTime::from(item.modified);
                println!(
                    "{}  {:>12} bytes  {}",
                    when.date(),
                    item.bytes,
                    item.path.display()
                );
            }
        }
    }
    Ok(())
}

pub fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<()> {
    let mut line = ProgressLine::new("restoring");
    let report = backup::restore_with_progress(config, file, force, &mut |p| line.update(p));
    line.finish();
    println!("{}", report?);
    Ok(())
}
