use std::path::PathBuf;

use upsignon_store::StoreError;

/// Why an install stopped. Each message says what to do; nothing written
/// before the failure is half-written (files are replaced atomically).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "cannot read the answers file {path}: {reason}\nIt is TOML with keys such as public_url, database_url, admin_email (see `upsignon install --help`)."
    )]
    AnswersFile { path: PathBuf, reason: String },
    #[error("invalid answer for {answer}: {value}: expected {expected}")]
    InvalidAnswer {
        answer: &'static str,
        value: String,
        expected: String,
    },
    #[error("the database does not answer: {0}")]
    Database(String),
    #[error(
        "the SMTP server does not answer: {0}\nCheck the host, port and login of smtp_url, or leave SMTP out for now (codes then wait for an admin in the console)."
    )]
    Smtp(String),
    #[error("{0}")]
    Tls(String),
    #[error(
        "cannot {what} {path}: {reason}\nRun the install as root for a system install, or pass --prefix DIR for a trial in a directory you own."
    )]
    Io {
        path: PathBuf,
        what: String,
        reason: String,
    },
    #[error("no random bytes from the system: {0}")]
    Random(String),
    #[error(
        "the system user upsignon does not exist and could not be created: create it with `useradd --system --user-group upsignon` and run the install again"
    )]
    NoServiceUser,
    #[error("`{command}` failed: {reason}")]
    Command { command: String, reason: String },
    #[error(
        "the server exited during start-up. Last lines of its log:\n{log_tail}\nFix what it says and run `upsignon install` again: it keeps what is already set up."
    )]
    ServerExited { log_tail: String },
    #[error(
        "the server did not become ready at {url} in time (last answer: {last}).\nSee its log (journalctl -u upsignon, or the log file printed above) and run `upsignon doctor`."
    )]
    NotHealthy { url: String, last: String },
    #[error(
        "{seen}, and the server just started could not take {address}: another process holds it.\nFind it with `ss -ltnp 'sport = :{}'`, stop it (or choose another port with --listen), then run the same command again.", address.port()
    )]
    Foreign {
        address: std::net::SocketAddr,
        seen: String,
    },
    #[error(
        "{seen}.\nStop that process (find it with `ss -ltnp`) or choose another port with --listen, then run the same command again."
    )]
    PortTaken { seen: String },
    #[error(
        "{source}\n\nThe first admin {email} was created before this failure. Keep its one-time sign-in code (valid 24 hours): {code}\nOnce the server runs, sign in at {url}/console/ with it. Lost it? `upsignon admin reset {email}` prints a new one."
    )]
    FailedAfterAdmin {
        #[source]
        source: Box<InstallError>,
        email: String,
        code: String,
        url: String,
    },
    #[error("{0}")]
    Migrate(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
