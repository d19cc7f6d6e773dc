use anyhow::Context;
use upsignon_config::Config;
use upsignon_ops::{migrate, serve};
use upsignon_store::Store;

use crate::cli::{Cli, Command, ConfigCommand, MigrateCommand};
use crate::logging;

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = upsignon_config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config(ConfigCommand::Show) => show_config(&config),
        Command::Serve => {
            logging::init(&config)?;
            run_server(&config)
        }
        Command::Migrate(action) => {
            logging::init(&config)?;
            run_migrate(&config, action)
        }
    }
}

fn run_server(config: &Config) -> anyhow::Result<()> {
    let prepared = serve::prepare(config)?;
    actix_web::rt::System::new().block_on(async move {
        let running = prepared.start()?;
        running
            .server
            .await
            .context("the HTTP server stopped with an error")?;
        tracing::info!("upsignon stopped");
        Ok(())
    })
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

fn show_config(config: &Config) -> anyhow::Result<()> {
    let mut effective = config.clone();
    effective.database_url = Some(config.database());
    let text = toml::to_string(&effective).context("cannot print the configuration")?;
    println!(
        "# effective configuration (defaults, then the config file, then UPSIGNON_* variables)\n{text}"
    );
    Ok(())
}
