//! Carrying out a rollback plan, one journaled step at a time. Every step
//! is safe to take again, so after a crash at any point the same
//! `upsignon rollback --yes` finishes the work.

use std::time::Instant;

use upsignon_store::releases::{self, ReleaseRow};
use upsignon_store::{Store, StoreError};

use super::journal::{self, Journal, Kind, Open, Step};
use super::kept::{self, copy_atomically, sha256_file};
use super::rollback::{RollbackPlan, RollbackReport};
use super::{Installation, Runner, UpgradeError, now_ms, operator};

/// Carries out `plan`, calling `progress` after each step.
pub fn rollback(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    super::runner::refuse_foreign_server(installation)?;
    let runner = Runner::of(installation);
    execute(installation, store, plan, runner, progress)
}

pub(crate) fn execute(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    runner: Runner,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    let started = Instant::now();
    let state_dir = &installation.config.state_dir;
    let before = journal::read(state_dir)?;
    let mut op = Open::begin(
        state_dir,
        Journal {
            kind: Kind::Rollback,
            from: plan.from.clone(),
            to: plan.to.version.clone(),
            step: Step::Maintenance,
            backup: plan.restore.as_ref().map(|r| r.backup.clone()),
            started_at_ms: now_ms(),
        },
    )?;
    op.step(Step::Maintenance)?;
    store.set_maintenance(&format!("rollback to {}", plan.to.version), now_ms())?;
    progress("maintenance on: apps get 503 and stay in offline mode");
    if plan.restore.is_some() {
        let restored = restore_copy(installation, store, plan, runner, &mut op, progress)?;
        return finish(installation, &restored, plan, runner, op, started, progress);
    }
    op.step(Step::RevertSchema)?;
    let reverted = match revert(installation, store, plan) {
        Ok(versions) => versions,
        Err(e) => {
            // Nothing changed: the site is as it was before this command.
            store.clear_maintenance()?;
            op.abandon(before)?;
            return Err(e);
        }
    };
    progress(&format!("reverted {} migration(s)", reverted.len()));
    op.step(Step::StopServer)?;
    runner.stop(installation)?;
    store.clear_maintenance()?;
    finish(installation, store, plan, runner, op, started, progress)
}

fn revert(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
) -> Result<Vec<String>, UpgradeError> {
    store
        .migrate_down_to(&plan.to.schema_head)
        .map_err(|e| match e {
            StoreError::Irreversible { version } => UpgradeError::Irreversible {
                version,
                backups: installation.config.backups().display().to_string(),
            },
            other => other.into(),
        })
}

/// Past an irreversible migration: the server stopped, the pre-upgrade copy
/// put in place of the database.
fn restore_copy(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    runner: Runner,
    op: &mut Open,
    progress: &mut dyn FnMut(&str),
) -> Result<Store, UpgradeError> {
    let Some(restore) = &plan.restore else {
        unreachable!("restore_copy is called for plans with a copy")
    };
    op.step(Step::StopServer)?;
    runner.stop(installation)?;
    op.step(Step::RestoreCopy)?;
    // Best effort: while the stopped server's last connection is still
    // closing, SQLite answers "locked" and the file stays in WAL mode.
    if !store.leave_wal().unwrap_or(false) {
        tracing::warn!("the SQLite database stays in WAL mode while it is replaced");
    }
    let url = installation.config.database();
    if restore
        .backup
        .extension()
        .is_some_and(|x| x == crate::backup::EXTENSION)
    {
        let older: Vec<_> = store
            .migrations()
            .iter()
            .filter(|m| m.version.as_str() <= plan.to.schema_head.as_str())
            .cloned()
            .collect();
        crate::backup::replace_database(&installation.config, older, &restore.backup).map_err(
            |source| UpgradeError::RestoreCopy {
                path: restore.backup.display().to_string(),
                source: Box::new(source),
            },
        )?;
    } else {
        upsignon_store::restore_copy(
            store.backend(),
            &upsignon_store::DatabaseTarget::of(&url),
            &restore.backup,
        )?;
    }
    progress(&format!("restored {}", restore.backup.display()));
    let restored = Store::open(&url, 2)?;
    restored.clear_maintenance()?;
    Ok(restored)
}

/// The end of every rollback: the old binary back, started, ready, recorded.
fn finish(
    installation: &Installation,
    store: &Store,
    plan: &RollbackPlan,
    runner: Runner,
    mut op: Open,
    started: Instant,
    progress: &mut dyn FnMut(&str),
) -> Result<RollbackReport, UpgradeError> {
    op.step(Step::PutBinaryBack)?;
    if plan.binary != installation.exe {
        let installed = installation.installed_version();
        if installed != plan.to.version {
            kept::keep(
                &installation.exe,
                &installation.config.state_dir,
                &installed,
            )?;
        }
        copy_atomically(&plan.binary, &installation.exe)?;
        progress(&format!(
            "binary {} put back at {}",
            plan.to.version,
            installation.exe.display()
        ));
    }
    op.step(Step::StartServer)?;
    let pid = runner.start(installation)?;
    op.step(Step::WaitReady)?;
    let ready = runner
        .wait_ready(installation, pid, &plan.to.version)?
        .is_some();
    op.step(Step::RecordRelease)?;
    releases::record(
        &mut *store.connection()?,
        &ReleaseRow {
            id: uuid::Uuid::new_v4().to_string(),
            installed_by: operator(),
            installed_at: now_ms(),
            binary_sha256: sha256_file(&installation.exe)?,
            ..plan.to.clone()
        },
    )?;
    op.done()?;
    Ok(RollbackReport {
        plan: plan.clone(),
        ready,
        elapsed: started.elapsed(),
    })
}
