use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Configuration is read from /etc/upsignon/upsignon.toml when it exists (or the file
given with --config), then from UPSIGNON_* environment variables, which win. The
variable for a key is its name in upper case: `listen` is UPSIGNON_LISTEN.

Examples:
  sudo upsignon install
      set up a server on this machine, answering a few questions (Enter keeps the default)
  upsignon doctor
      check config, permissions, certificate, database, disk, backups and the running server
  upsignon serve
      embedded SQLite in the state directory, self-signed TLS on 127.0.0.1:8443
  UPSIGNON_DATABASE_URL=postgres://app@db.internal/upsignon upsignon serve
      the same on PostgreSQL
  upsignon migrate status
      which migrations are applied, pending, or ahead (applied by a newer release)
  upsignon config show
      the effective configuration, passwords masked
  upsignon standby --primary https://10.0.0.1:8443  /  upsignon promote
      a standby that pulls the primary's data, and its promotion";

/// Self-hosted server for the UpSignOn PRO password manager.
///
/// Password-manager apps sync their end-to-end-encrypted vaults through it;
/// the server never sees vault contents.
#[derive(Debug, Parser)]
#[command(name = "upsignon", version = upsignon_ops::SERVER_VERSION, about, long_about, after_help = AFTER_HELP)]
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

    /// Set up a server on this machine: config, directories, database,
    /// first tenant and admin, service; ends when the server is healthy.
    ///
    /// Asks a few questions on a terminal (Enter keeps the default: embedded
    /// SQLite, self-signed certificate). Without a terminal, or with
    /// --non-interactive, it takes the answers from flags, UPSIGNON_*
    /// variables, an --answers file and an earlier install's config, and never
    /// prompts. As root it makes a system install (user upsignon, /etc/upsignon,
    /// /var/lib/upsignon, /var/backups/upsignon, systemd); otherwise, or with
    /// --prefix, everything goes under your own directories.
    ///
    /// Safe to re-run: an existing install is repaired or reconfigured, and
    /// its database and keys are never overwritten.
    #[command(after_help = INSTALL_EXAMPLES)]
    Install(Box<InstallArgs>),

    /// Check everything a support call would ask about, with the fix for
    /// each problem. Changes nothing.
    ///
    /// Each line is OK, WARN or FAIL. Exits 1 when a check fails, 0 otherwise.
    Doctor {
        /// Print the checks as JSON, for monitoring.
        #[arg(long)]
        json: bool,
    },

    /// Install a newer release from the release feed or a signed archive,
    /// keeping this one for `rollback`.
    ///
    /// Verifies the archive's ed25519 signature (refusing it before anything
    /// changes), checks the database, disk, backup directory and the running
    /// server, takes a pre-upgrade backup, keeps this binary under
    /// <state_dir>/releases/, replaces the binary atomically, restarts the
    /// server (systemd, or the background process `install` started) and waits
    /// until the new version is ready. If it does not become ready, it rolls
    /// back by itself. For .deb/.rpm installs, upgrade with apt/dnf instead.
    #[command(after_help = UPGRADE_EXAMPLES)]
    Upgrade {
        /// A release archive (.tar.gz) copied to this server (air-gapped sites).
        #[arg(long, value_name = "FILE", conflicts_with = "feed")]
        from: Option<PathBuf>,
        /// Read this release feed instead of release_feed_url.
        #[arg(long, value_name = "URL")]
        feed: Option<String>,
        /// Do not take the pre-upgrade backup (only with a backup of your own).
        #[arg(long)]
        skip_backup: bool,
        /// Seconds the new version gets to report ready before the automatic rollback.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        ready_timeout: u64,
    },

    /// Go back to the previous release in seconds, keeping the data: the
    /// incident workaround.
    ///
    /// Puts the server in maintenance (apps get 503 and stay in offline mode),
    /// reverts the migrations newer than the target release with the down
    /// scripts stored in the database, puts the kept binary back, restarts
    /// and waits until the old version is ready. Shows the plan and asks
    /// first, unless --yes.
    #[command(
        after_help = "Examples:\n  sudo upsignon rollback            the previous release, after confirmation\n  sudo upsignon rollback --yes --to 0.1.0"
    )]
    Rollback {
        /// The release to go back to (default: the one before the running one).
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// Proceed without asking.
        #[arg(long)]
        yes: bool,
        /// When a migration on the way is irreversible, restore the copy taken
        /// before the upgrade instead (rows written since then are lost: the
        /// plan says how many).
        #[arg(long)]
        restore_backup: bool,
        /// Seconds the old version gets to report ready.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        ready_timeout: u64,
    },

    /// Write an encrypted backup of the database, while the server runs.
    ///
    /// One consistent snapshot, every table as portable rows (a backup from
    /// SQLite restores into PostgreSQL and back), gzip, encrypted with age to
    /// backup_key_file. Standard tools open it too:
    /// `age -d -i /etc/upsignon/backup.key FILE | gunzip`.
    #[command(args_conflicts_with_subcommands = true, after_help = BACKUP_EXAMPLES)]
    Backup {
        #[command(subcommand)]
        action: Option<BackupCommand>,
        /// Where to write it [default: <backup_dir>/upsignon-<time>.upsignon-backup].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },

    /// Restore a backup into the configured database.
    ///
    /// Reads the whole file first and refuses, before any change, a wrong
    /// key, a damaged file or a backup from a newer schema. Restores into an
    /// empty database; with --force, replaces the data after taking a safety
    /// backup of it. All or nothing: one transaction. Stop the server first.
    Restore {
        /// The .upsignon-backup file.
        file: PathBuf,
        /// Replace a database that already holds data (a safety backup is taken first).
        #[arg(long)]
        force: bool,
    },

    /// Run this server as a standby of a primary: pull its data on a
    /// schedule, answer only /health and /version, until `upsignon promote`.
    ///
    /// Each pull downloads an encrypted snapshot from the primary's
    /// /replication/snapshot (proving replication_secret), reads it whole
    /// with backup_key_file (the primary's key, copied here) and replaces the
    /// data in one transaction; a failed pull changes nothing and is retried.
    /// The role is recorded in <state_dir>/standby.json, so `upsignon serve`
    /// (and the systemd service) keeps serving as a standby after a restart.
    /// A database that already holds data is replaced only with --force,
    /// after a safety backup.
    #[command(after_help = STANDBY_EXAMPLES)]
    Standby {
        /// The primary's URL [default: standby_primary_url, or the recorded one].
        #[arg(long, value_name = "URL")]
        primary: Option<String>,
        /// Replace the data this server holds (a safety backup is taken first).
        #[arg(long)]
        force: bool,
        /// Record the role and exit without serving (then restart the service).
        #[arg(long)]
        no_serve: bool,
    },

    /// Make this standby a primary, in one command, whether or not it runs.
    ///
    /// Waits for a pull being applied to finish (never half-way), records
    /// the promotion (a restart keeps it), and prints how old the data is and
    /// the DNS change to make. A running server switches within a second and
    /// starts its scheduled backups.
    #[command(after_help = "Example:\n  sudo -u upsignon upsignon promote")]
    Promote {
        /// Seconds to wait for the running server to report ready as a primary.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        ready_timeout: u64,
    },

    /// Console admins, from a shell: list them, or give one a new one-time
    /// code when they cannot sign in (lost phone, lost secrets key).
    #[command(subcommand)]
    Admin(AdminCommand),

    /// Print a shell completion script (for packaging).
    #[command(
        after_help = "Example: upsignon completions bash > /usr/share/bash-completion/completions/upsignon"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page, upsignon(1), in roff (for packaging).
    #[command(
        after_help = "Example: upsignon manpage | gzip -9n > /usr/share/man/man1/upsignon.1.gz"
    )]
    Manpage,
}

const UPGRADE_EXAMPLES: &str = "\
Examples:
  sudo upsignon upgrade
      the newest release from release_feed_url (the project's feed by default)
  sudo upsignon upgrade --feed https://mirror.example.com/upsignon/manifest.json
      from a mirror on your network
  sudo upsignon upgrade --from upsignon-0.2.0-x86_64-linux.tar.gz
      an archive copied to an air-gapped server";

const STANDBY_EXAMPLES: &str = "\
On both servers: the same replication_secret (openssl rand -hex 32), and on the standby
a copy of the primary's backup key as backup_key_file.

Examples:
  sudo -u upsignon upsignon standby --primary https://passwords.example.com:8443 --no-serve
  sudo systemctl restart upsignon
      make an installed server a standby; the service then serves as one
  upsignon standby --primary https://10.0.0.1:8443
      the same in the foreground
  upsignon doctor
      how old the standby's data is, and the last pull's error";

const BACKUP_EXAMPLES: &str = "\
Examples:
  sudo -u upsignon upsignon backup
  sudo -u upsignon upsignon backup --out /mnt/offsite/upsignon.upsignon-backup
  sudo -u upsignon upsignon backup verify /var/backups/upsignon/upsignon-20261123T040000Z.upsignon-backup
  upsignon backup list
Moving from the embedded SQLite to PostgreSQL: back up, set database_url to PostgreSQL,
then `upsignon restore FILE` (see docs/backups.md).";

const INSTALL_EXAMPLES: &str = "\
Examples:
  sudo upsignon install
      interactive system install
  sudo upsignon install --non-interactive --public-url https://passwords.example.com \\
      --admin-email it@example.com --database-url postgres://upsignon:PW@db:5432/upsignon
      unattended, for Ansible or cloud-init; exit code 0 only when the server is healthy
  upsignon install --prefix /tmp/trial --listen 127.0.0.1:9443 --non-interactive
      a trial in a directory, as any user
  sudo upsignon install --dry-run --non-interactive
      print every file it would write and command it would run, and stop

Answers file (--answers FILE), TOML, every key optional:
  public_url, database_url, listen, tls_mode, tls_cert, tls_key, smtp_url, smtp_from,
  admin_email, tenant_slug, tenant_name, backup_dir, backup_key_file, sentry_dsn";

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Never prompt; implied when standard input is not a terminal.
    #[arg(long)]
    pub non_interactive: bool,
    /// Print what would be written and run, then stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Install everything under this directory (a trial, or a staging root).
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// Answers as TOML (keys listed below); flags and variables win over it.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// How the server is started at the end.
    #[arg(long, value_enum, default_value = "auto")]
    pub start: StartArg,
    /// Seconds to wait for the started server to report ready.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub ready_timeout: u64,

    /// The URL users and apps reach [default: https://<hostname>:8443].
    #[arg(long, env = "UPSIGNON_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// postgres://USER:PASSWORD@HOST:5432/DATABASE, tested at once [default: embedded SQLite].
    #[arg(
        long,
        env = "UPSIGNON_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Address and port to listen on [default: 0.0.0.0 and the public URL's port, or 8443].
    #[arg(long, env = "UPSIGNON_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// self-signed, files (with --tls-cert/--tls-key), or none (plain HTTP on loopback behind a proxy).
    #[arg(long, env = "UPSIGNON_TLS_MODE", value_name = "MODE", value_parser = ["self-signed", "files", "none"])]
    pub tls_mode: Option<String>,
    #[arg(long, env = "UPSIGNON_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, env = "UPSIGNON_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// smtps://USER:PASSWORD@HOST:465 or smtp://USER:PASSWORD@HOST:587, tested at once.
    #[arg(
        long,
        env = "UPSIGNON_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    #[arg(long, env = "UPSIGNON_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// The first admin, who gets a one-time sign-in code.
    #[arg(long, env = "UPSIGNON_ADMIN_EMAIL", value_name = "EMAIL")]
    pub admin_email: Option<String>,
    /// The first tenant's name in URLs [default: main].
    #[arg(long, env = "UPSIGNON_TENANT_SLUG", value_name = "SLUG")]
    pub tenant_slug: Option<String>,
    /// The first tenant's display name [default: Main].
    #[arg(long, env = "UPSIGNON_TENANT_NAME", value_name = "NAME")]
    pub tenant_name: Option<String>,
    #[arg(long, env = "UPSIGNON_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Created when missing, never replaced.
    #[arg(long, env = "UPSIGNON_BACKUP_KEY_FILE", value_name = "FILE")]
    pub backup_key_file: Option<PathBuf>,
    /// Opt-in error reports (off unless given).
    #[arg(
        long,
        env = "UPSIGNON_SENTRY_DSN",
        value_name = "DSN",
        hide_env_values = true
    )]
    pub sentry_dsn: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StartArg {
    /// systemd for a system install when systemd runs, else a background process.
    Auto,
    Systemd,
    Background,
    /// Set everything up but start nothing.
    No,
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
pub enum BackupCommand {
    /// Restore FILE into a scratch database and check every row and checksum:
    /// a restore drill that changes nothing.
    Verify { file: PathBuf },
    /// The backups in backup_dir, newest first.
    List,
    /// Create a backup key file (an age X25519 identity), for installs not
    /// made with `upsignon install`; then set backup_key_file to it. Refuses
    /// to replace an existing file.
    Keygen { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The console's admins: email, role, tenants, second factor, lockout.
    List,
    /// Print a new one-time code (valid 24 hours) for the admin EMAIL, and
    /// lift their lockout. At /console/setup they choose a new password and
    /// enrol a new second factor; until then the old ones keep working.
    #[command(after_help = "Example:\n  sudo -u upsignon upsignon admin reset it@example.com")]
    Reset { email: String },
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
