use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use upsignon_config::Config;
use upsignon_ops::{doctor, migrate, serve, standby};
use upsignon_store::Store;

use crate::cli::{AdminCommand, Cli, Command, ConfigCommand, MigrateCommand};
use crate::{backups, install, logging, upgrade};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // These work without (or despite) a valid config.
    match &cli.command {
        Command::Install(args) => return install::run(cli.config.as_deref(), args),
        Command::Doctor { json } => return run_doctor(&cli, *json),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "upsignon", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Manpage => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("cannot write the man page")?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let config = upsignon_config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config(ConfigCommand::Show) => show_config(&config)?,
        Command::Serve => serve_logged(&config)?,
        Command::Migrate(action) => {
            logging::init(&config)?;
            run_migrate(&config, action)?
        }
        Command::Upgrade {
            from,
            feed,
            skip_backup,
            ready_timeout,
        } => upgrade::upgrade(
            cli.config.as_deref(),
            config,
            upgrade::Source::new(from, feed),
            skip_backup,
            ready_timeout,
        )?,
        Command::Rollback {
            to,
            yes,
            restore_backup,
            ready_timeout,
        } => upgrade::rollback(
            cli.config.as_deref(),
            config,
            upgrade::RollbackArgs {
                to: to.as_deref(),
                yes,
                restore_backup,
                ready_timeout,
            },
        )?,
        Command::Admin(action) => run_admin(&config, action)?,
        Command::Backup { action, out } => backups::backup(&config, action, out)?,
        Command::Restore { file, force } => backups::restore(&config, &file, force)?,
        Command::Standby {
            primary,
            force,
            no_serve,
        } => {
            let report = standby::become_standby(&config, primary.as_deref(), force)?;
            println!("{report}");
            if !no_serve {
                serve_logged(&config)?
            }
        }
        Command::Promote { ready_timeout } => {
            println!("{}", standby::promote(&config)?);
            println!(
                "{}",
                standby::running_server_after_promotion(
                    &config,
                    std::time::Duration::from_secs(ready_timeout)
                )
            );
        }
        Command::Install(_)
        | Command::Doctor { .. }
        | Command::Completions { .. }
        | Command::Manpage => {
            unreachable!("handled above")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves until SIGTERM, with logs and, when `sentry_dsn` is set, error
/// reports (flushed when the server stops).
fn serve_logged(config: &Config) -> anyhow::Result<()> {
    let reports = upsignon_ops::error_reports::init(config)?;
    logging::init_with_reports(config, reports.is_some())?;
    let served = run_server(config);
    drop(reports);
    served
}

fn run_server(config: &Config) -> anyhow::Result<()> {
    let prepared = serve::prepare(config)?;
    actix_web::rt::System::new().block_on(async move {
        let running = prepared.start()?;
        let me = upsignon_ops::identity::Identity {
            pid: std::process::id(),
            instance: Some(running.instance.clone()),
        };
        if let Err(error) = upsignon_ops::identity::write(&config.state_dir, &me) {
            tracing::warn!(%error, "cannot write the pid file: upgrade, rollback and doctor will not recognise this server");
        }
        running
            .serve_until_signal()
            .await
            .context("the HTTP server stopped with an error")?;
        tracing::info!("upsignon stopped");
        Ok(())
    })
}

fn run_admin(config: &Config, action: AdminCommand) -> anyhow::Result<()> {
    let store = Store::open(&config.database(), 1)?;
    match action {
        AdminCommand::List => {
            for admin in upsignon_ops::admins::list(&store)? {
                let tenants = if admin.role == "super_admin" {
                    "all tenants".to_string()
                } else {
                    admin.tenants.join(",")
                };
                let factor = if admin.second_factor {
                    "TOTP"
                } else {
                    "no second factor yet"
                };
                let locked = if admin.locked { ", LOCKED" } else { "" };
                println!(
                    "{}  {}  {tenants}  {factor}{locked}",
                    admin.email, admin.role
                );
            }
        }
        AdminCommand::Reset { email } => {
            let code = upsignon_ops::admins::reset_sign_in(&store, &email)?;
            println!("One-time code for {email} (valid 24 hours): {code}");
            println!("Open /console/setup with it to set a new password and second factor.");
        }
    }
    Ok(())
}

fn run_migrate(config: &Config, action: MigrateCommand) -> anyhow::Result<()> {
    let store = Store::open(&config.database(), 1)?;
    match action {
        MigrateCommand::Status => println!("{}", migrate::status(&store)?),
        MigrateCommand::Up => println!("{}", migrate::up(&store)?),
        MigrateCommand::Down { to, yes } => println!("{}", migrate::down(&store, &to, yes)?),
        MigrateCommand::Sync => println!("{}", migrate::sync(&store)?),
    }
    Ok(())
}

fn run_doctor(cli: &Cli, json: bool) -> anyhow::Result<ExitCode> {
    let config_file = cli
        .config
        .clone()
        .unwrap_or_else(upsignon_config::default_config_file);
    let config = upsignon_config::load(cli.config.as_deref()).map_err(|e| e.to_string());
    let report = doctor::run(Some(&config_file), config.as_ref().map_err(Clone::clone));
    let mut out = std::io::stdout();
    if json {
        serde_json::to_writer_pretty(&mut out, &report).context("cannot print the report")?;
        writeln!(out)?;
    } else {
        writeln!(out, "{report}")?;
    }
    Ok(match report.status() {
        doctor::Status::Fail => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

fn show_config(config: &Config) -> anyhow::Result<()> {
    let mut effective = config.clone();
    effective.database_url = Some(config.database());
    let text = toml::to_string(&effective).context("cannot print the configuration")?;
    println!(
        "# effective configuration (defaults, then the config file, then UPSIGNON_* variables)\n{text}"
    );
    Ok(())
}
