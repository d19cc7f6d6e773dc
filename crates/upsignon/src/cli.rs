use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Configuration is read from /etc/upsignon/upsignon.toml when it exists (or the file
given with --config), then from UPSIGNON_* environment variables, which win. The
variable for a key is its name in upper case: `listen` is UPSIGNON_LISTEN.

Examples:
  upsignon serve
      embedded SQLite in the state directory, self-signed TLS on 127.0.0.1:8443
  UPSIGNON_DATABASE_URL=postgres://app@db.internal/upsignon upsignon serve
      the same on PostgreSQL
  upsignon migrate status
      which migrations are applied, pending, or ahead (applied by a newer release)
  upsignon config show
      the effective configuration, passwords masked";

/// Self-hosted server for the UpSignOn PRO password manager.
///
/// Password-manager apps sync their end-to-end-encrypted vaults through it;
/// the server never sees vault contents.
#[derive(Debug, Parser)]
#[command(name = "upsignon", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Config file to read instead of /etc/upsignon/upsignon.toml.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "UPSIGNON_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTPS server until SIGTERM or Ctrl-C.
    ///
    /// Applies pending migrations first (unless migrate_on_start = false), and
    /// refuses to start on a schema a newer release moved ahead, saying what
    /// to run. On first start with tls_mode = "self-signed" it generates a
    /// certificate in <state_dir>/tls/ and keeps it.
    Serve,

    /// Inspect and change the database schema.
    ///
    /// Every applied migration is recorded in the database with its down
    /// script, so this binary can also revert migrations that a newer release
    /// applied (`migrate sync`), for instance after installing an older
    /// package during an incident.
    #[command(subcommand)]
    Migrate(MigrateCommand),

    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// List every migration: applied, pending, ahead (applied by a newer
    /// release) or checksum-mismatch. Changes nothing.
    Status,
    /// Apply pending migrations, all in one transaction.
    Up,
    /// Revert applied migrations above a version, newest first.
    ///
    /// Tables and columns they added are dropped with their data: take a
    /// backup first. Refuses irreversible migrations.
    Down {
        /// Keep this version and everything below it; 0 reverts them all.
        #[arg(long, value_name = "VERSION")]
        to: String,
        /// Proceed without stopping to show the plan.
        #[arg(long)]
        yes: bool,
    },
    /// Make the schema match this binary: revert migrations applied by a
    /// newer release (from the down scripts stored in the database), then
    /// apply pending ones.
    Sync,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration after defaults, file and environment are
    /// layered, as TOML, with passwords masked.
    Show,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
