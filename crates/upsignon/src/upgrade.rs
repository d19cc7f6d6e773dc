//! `upsignon upgrade` and `upsignon rollback` on the command line: build the
//! installation's description, confirm, and print each step.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use upsignon_config::Config;
use upsignon_ops::upgrade::{self, Installation, UpgradeError};
use upsignon_ops::{install, release};
use upsignon_store::Store;

/// The installed binary is the one `install` recorded, whatever binary
/// runs this command (an unpacked archive, a build tree); sites installed by
/// earlier releases have no record, and then it is this binary.
fn installation(
    config_flag: Option<&Path>,
    config: Config,
    ready_timeout: u64,
) -> anyhow::Result<Installation> {
    let recorded = install::record::read(&config.state_dir);
    let exe = match &recorded {
        Some(record) => record.binary.clone(),
        None => std::env::current_exe().context("cannot find this program's own path")?,
    };
    let config_file = config_flag
        .map(Path::to_path_buf)
        .or_else(|| recorded.map(|r| r.config_file))
        .unwrap_or_else(upsignon_config::default_config_file);
    Ok(Installation {
        config_file,
        config,
        exe,
        ready_timeout: Duration::from_secs(ready_timeout),
    })
}

/// Where the new release comes from.
pub enum Source {
    File(PathBuf),
    /// A release feed; `None` is `release_feed_url`.
    Feed(Option<String>),
}

impl Source {
    pub fn new(file: Option<PathBuf>, feed: Option<String>) -> Self {
        match file {
            Some(file) => Source::File(file),
            None => Source::Feed(feed),
        }
    }
}

pub fn upgrade(
    config_flag: Option<&Path>,
    config: Config,
    source: Source,
    skip_backup: bool,
    ready_timeout: u64,
) -> anyhow::Result<()> {
    let installation = installation(config_flag, config, ready_timeout)?;
    let archive = match source {
        Source::File(path) => path,
        Source::Feed(url) => {
            let url = url.unwrap_or_else(|| installation.config.release_feed_url.clone());
            let Some(offered) = release::newest(&url, upsignon_ops::SERVER_VERSION)? else {
                println!(
                    "already up to date: {url} offers nothing newer than {}",
                    upsignon_ops::SERVER_VERSION
                );
                return Ok(());
            };
            println!("  ✔ {url} offers {}", offered.version);
            let incoming = upgrade::releases_dir(&installation.config.state_dir).join(".incoming");
            std::fs::create_dir_all(&incoming)
                .with_context(|| format!("cannot create {}", incoming.display()))?;
            let path = release::download(&offered, &incoming)?;
            println!("  ✔ downloaded {}", path.display());
            path
        }
    };
    let report = upgrade::upgrade(&installation, &archive, skip_backup, &mut |line| {
        println!("  ✔ {line}")
    })?;
    println!("{report}");
    Ok(())
}

pub struct RollbackArgs<'a> {
    pub to: Option<&'a str>,
    pub yes: bool,
    pub restore_backup: bool,
    pub ready_timeout: u64,
}

pub fn rollback(
    config_flag: Option<&Path>,
    config: Config,
    args: RollbackArgs,
) -> anyhow::Result<()> {
    let installation = installation(config_flag, config, args.ready_timeout)?;
    let store = Store::open(&installation.config.database(), 2)?;
    let plan = match upgrade::plan_rollback(&installation, &store, args.to, args.restore_backup) {
        Err(done @ (UpgradeError::NothingOlder { .. } | UpgradeError::AlreadyThere(_))) => {
            println!("{done}");
            return Ok(());
        }
        other => other?,
    };
    if !args.yes {
        let confirmed = std::io::stdin().is_terminal()
            && dialoguer::Confirm::new()
                .with_prompt(format!("{plan}. Proceed?"))
                .default(false)
                .interact()?;
        if !confirmed {
            return Err(UpgradeError::NeedsConfirmation {
                plan: plan.to_string(),
            }
            .into());
        }
    }
    println!("{plan}");
    let report = upgrade::rollback(&installation, &store, &plan, &mut |line| {
        println!("  ✔ {line}")
    })
    .map_err(|e| match e {
        // A failure under way (not a refusal before any change): say where
        // the site stands, not only what the database or disk said.
        UpgradeError::Store(_) | UpgradeError::Io { .. } | UpgradeError::Install(_) => {
            anyhow::Error::new(e).context(format!(
                "the rollback to {} stopped before it finished; its place is kept in the operation journal. Fix the cause below, then run `upsignon rollback --yes` again (`upsignon doctor` shows the state)",
                plan.to.version
            ))
        }
        other => other.into(),
    })?;
    println!("{report}");
    Ok(())
}
