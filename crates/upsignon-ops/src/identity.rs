//! Who the running server is. A server started by `upsignon serve` writes
//! its own pid file once its port is bound: its pid and a random token of
//! this start, which `/health/ready` reports too. `upgrade`, `rollback`,
//! `install` and `doctor` compare the two to tell the server they manage
//! from any other process answering on the same address. It must not start
//! or stop anything: `install::service` does.

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use upsignon_config::TlsMode;

use crate::install::service;

/// What the pid file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub pid: u32,
    /// Absent when the pid file was written by whoever started the server
    /// (servers of earlier releases do not write their own).
    pub instance: Option<String>,
}

impl Identity {
    /// The named process still runs and is an upsignon server (a pid of a
    /// server that died may have been given to any process since, even an
    /// `upsignon rollback`).
    pub fn alive(&self) -> bool {
        service::process_alive(self.pid) && is_upsignon_server(self.pid)
    }
}

fn is_upsignon_server(pid: u32) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|b| *b == 0);
    let program = args.next().map(String::from_utf8_lossy).unwrap_or_default();
    program.contains("upsignon") && args.any(|arg| arg == b"serve")
}

pub fn pid_file(state_dir: &Path) -> PathBuf {
    state_dir.join("upsignon.pid")
}

/// The pid file's content (`pid` then `instance`, one per line).
pub fn read(state_dir: &Path) -> Option<Identity> {
    let text = fs::read_to_string(pid_file(state_dir)).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let instance = lines
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(Identity { pid, instance })
}

/// Replaces the pid file in one rename (never half-written).
pub fn write(state_dir: &Path, identity: &Identity) -> std::io::Result<()> {
    let path = pid_file(state_dir);
    let mut file = tempfile::NamedTempFile::new_in(state_dir)?;
    let instance = identity.instance.as_deref().unwrap_or_default();
    writeln!(file, "{}\n{instance}", identity.pid)?;
    file.as_file().sync_all()?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644))?;
    file.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// Who answers on the server's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answering {
    /// Nothing listens there.
    Nothing,
    /// The server the pid file names.
    Ours,
    /// Some other process: a server no command tracks, another site's
    /// server, or another program. The text says what was seen.
    Foreign(String),
}

/// Asks `/health/ready` on the local address who answers, and compares
/// with the pid file under `state_dir`.
pub fn answering(listen: SocketAddr, tls_mode: TlsMode, state_dir: &Path) -> Answering {
    let address = service::local_address(listen);
    if std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(2)).is_err() {
        return Answering::Nothing;
    }
    let ours = read(state_dir).filter(Identity::alive);
    let answer = service::probe_client()
        .ok()
        .and_then(|client| {
            client
                .get(service::health_url(listen, tls_mode))
                .send()
                .ok()
        })
        .and_then(|response| response.json::<serde_json::Value>().ok());
    let Some(answer) = answer else {
        return Answering::Foreign(format!(
            "a program that is not an upsignon server listens on {address}"
        ));
    };
    let instance = answer["instance"].as_str();
    let version = answer["version"].as_str().unwrap_or("?");
    match (&ours, instance) {
        (Some(ours), Some(seen)) if ours.instance.as_deref() == Some(seen) => Answering::Ours,
        // A server of an earlier release reports no token: the pid file's
        // live process is the best proof there is.
        (Some(ours), None) if ours.instance.is_none() => Answering::Ours,
        (Some(ours), _) => Answering::Foreign(format!(
            "an upsignon server (version {version}) answers on {address}, but it is not the process {} named in {}",
            ours.pid,
            pid_file(state_dir).display()
        )),
        // systemd runs a server of an earlier release (no token, no pid
        // file of its own): systemd knows its pid.
        (None, None) if service::systemd_main_pid().is_some() => Answering::Ours,
        (None, _) => Answering::Foreign(format!(
            "an upsignon server (version {version}) answers on {address}, but no live server is named in {}",
            pid_file(state_dir).display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_file_round_trips_with_and_without_a_token() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        for identity in [
            Identity {
                pid: 42,
                instance: Some("abc".into()),
            },
            Identity {
                pid: 7,
                instance: None,
            },
        ] {
            write(dir.path(), &identity).unwrap();
            assert_eq!(read(dir.path()), Some(identity));
        }
        std::fs::write(pid_file(dir.path()), "43\n").unwrap();
        assert_eq!(
            read(dir.path()),
            Some(Identity {
                pid: 43,
                instance: None
            })
        );
    }

    #[test]
    fn a_dead_pid_is_never_alive() {
        let dead = Identity {
            pid: u32::MAX - 1,
            instance: None,
        };
        assert!(!dead.alive());
    }
}
