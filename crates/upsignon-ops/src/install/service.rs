//! Starting the server after an install: systemd when it runs (the unit is
//! installed if no package put one), else a background process with a log
//! and a pid file; then waiting for `/health/ready`.

use std::fs::{self, OpenOptions};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use upsignon_config::TlsMode;

use super::InstallError;
use super::files::{self, Owner};
use crate::identity;

/// The hardened unit, the same file the .deb and .rpm ship.
pub const UNIT: &str = include_str!("../../../../packaging/systemd/upsignon.service");
pub const UNIT_NAME: &str = "upsignon.service";
const PACKAGED_UNITS: [&str; 2] = [
    "/usr/lib/systemd/system/upsignon.service",
    "/lib/systemd/system/upsignon.service",
];
pub const LOCAL_UNIT: &str = "/etc/systemd/system/upsignon.service";
/// Where packages put the binary (the unit's ExecStart as shipped).
pub const PACKAGED_BINARY: &str = "/usr/bin/upsignon";
/// Where `install` copies a build from source on a systemd host.
pub const SOURCE_BINARY: &str = "/usr/local/bin/upsignon";

/// Whether systemd manages services on this machine (not in most containers).
pub fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// A unit a package installed, if any.
pub fn packaged_unit() -> Option<PathBuf> {
    PACKAGED_UNITS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

pub fn run_command(program: &str, args: &[&str]) -> Result<(), InstallError> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| InstallError::Command {
            command: format!("{program} {}", args.join(" ")),
            reason: e.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(InstallError::Command {
        command: format!("{program} {}", args.join(" ")),
        reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

/// The unit with its ExecStart running `binary`.
pub fn unit_text(binary: &Path) -> String {
    UNIT.replace(
        &format!("ExecStart={PACKAGED_BINARY} "),
        &format!("ExecStart={} ", binary.display()),
    )
}

pub fn install_unit(binary: &Path) -> Result<(), InstallError> {
    files::write_atomically(
        Path::new(LOCAL_UNIT),
        unit_text(binary).as_bytes(),
        0o644,
        Owner::Caller,
    )?;
    run_command("systemctl", &["daemon-reload"])
}

/// Copies this binary to `to` (mode 0755), replacing it in one rename.
pub fn install_binary(from: &Path, to: &Path) -> Result<(), InstallError> {
    let bytes = fs::read(from).map_err(|e| InstallError::Io {
        path: from.to_path_buf(),
        what: "read".to_string(),
        reason: e.to_string(),
    })?;
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| InstallError::Io {
            path: dir.to_path_buf(),
            what: "create".to_string(),
            reason: e.to_string(),
        })?;
    }
    files::write_atomically(to, &bytes, 0o755, Owner::Caller)
}

pub fn start_with_systemd() -> Result<(), InstallError> {
    run_command("systemctl", &["enable", UNIT_NAME])?;
    run_command("systemctl", &["restart", UNIT_NAME])
}

/// Log and pid files of a server started without systemd.
pub fn log_file(state_dir: &Path) -> PathBuf {
    state_dir.join("upsignon.log")
}

pub fn pid_file(state_dir: &Path) -> PathBuf {
    crate::identity::pid_file(state_dir)
}

/// Starts `exe --config <config_file> serve` detached from the terminal,
/// its output appended to `<state_dir>/upsignon.log`, after stopping the
/// one started earlier the same way. `run_as` is a (uid, gid) to drop to.
/// Returns the new pid.
pub fn start_in_background(
    exe: &Path,
    config_file: &Path,
    state_dir: &Path,
    run_as: Option<(u32, u32)>,
) -> Result<u32, InstallError> {
    stop_background(state_dir)?;
    let log_path = log_file(state_dir);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| InstallError::Io {
            path: log_path.clone(),
            what: "open the log file".to_string(),
            reason: e.to_string(),
        })?;
    let log_err = log.try_clone().map_err(|e| InstallError::Io {
        path: log_path.clone(),
        what: "open the log file".to_string(),
        reason: e.to_string(),
    })?;
    let mut command = Command::new(exe);
    command
        .arg("--config")
        .arg(config_file)
        .arg("serve")
        .env("UPSIGNON_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    if let Some((uid, gid)) = run_as {
        command.uid(uid).gid(gid);
    }
    let child = command.spawn().map_err(|e| InstallError::Command {
        command: format!("{} serve", exe.display()),
        reason: e.to_string(),
    })?;
    let pid = child.id();
    // The server writes its own pid file with its start token once its port
    // is bound; this one (pid only) is for releases that do not.
    if identity::read(state_dir).is_none_or(|named| named.pid != pid) {
        files::write_atomically(
            &pid_file(state_dir),
            format!("{pid}\n").as_bytes(),
            0o644,
            Owner::Caller,
        )?;
    }
    Ok(pid)
}

/// Stops the background server started earlier, if it runs.
pub fn stop_background(state_dir: &Path) -> Result<(), InstallError> {
    let Some(pid) = running_background_pid(state_dir) else {
        return Ok(());
    };
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(35);
    while Instant::now() < deadline && process_alive(pid) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The pid in the pid file, when that process is still an upsignon server.
pub fn running_background_pid(state_dir: &Path) -> Option<u32> {
    identity::read(state_dir)
        .filter(identity::Identity::alive)
        .map(|named| named.pid)
}

pub fn process_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie (state Z) has exited already.
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// What `/health/ready` said once the server was ready.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Ready {
    pub version: String,
    pub schema: Option<String>,
    /// The start token (servers of earlier releases report none).
    #[serde(default)]
    pub instance: Option<String>,
}

/// The process a wait is about, started by this command (or by systemd
/// for it): if it exits, waiting stops at once with the end of its log, and
/// only an answer from it counts.
#[derive(Debug, Clone, Copy)]
pub struct Child<'a> {
    pub pid: u32,
    pub state_dir: &'a Path,
    pub log: Option<&'a Path>,
}

impl Child<'_> {
    /// Whether `ready` came from this process: the pid file it wrote names
    /// it with the token the answer carries.
    fn answered(&self, ready: &Ready) -> bool {
        let Some(seen) = &ready.instance else {
            return true;
        };
        identity::read(self.state_dir)
            .is_some_and(|named| named.pid == self.pid && named.instance.as_ref() == Some(seen))
    }
}

/// The loopback address to reach a server listening on `listen`.
pub fn local_address(listen: SocketAddr) -> SocketAddr {
    if listen.ip().is_unspecified() {
        let ip = match listen.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        SocketAddr::new(ip, listen.port())
    } else {
        listen
    }
}

/// Polls `/health/ready` on the local address until it answers 200 or
/// `timeout` passes.
pub fn wait_until_ready(
    listen: SocketAddr,
    tls_mode: TlsMode,
    timeout: Duration,
    child: Option<Child>,
) -> Result<Ready, InstallError> {
    wait_for_version(listen, tls_mode, timeout, child, None)
}

/// Like [`wait_until_ready`], and the ready server must report `version`
/// (an older process still answering during a restart does not count).
/// An answer from another process than `child` never counts: when `child`
/// exits while another server answers, the error says so.
pub fn wait_for_version(
    listen: SocketAddr,
    tls_mode: TlsMode,
    timeout: Duration,
    child: Option<Child>,
    version: Option<&str>,
) -> Result<Ready, InstallError> {
    let url = health_url(listen, tls_mode);
    let client = probe_client()?;
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer yet");
    let mut foreign = None;
    while Instant::now() < deadline {
        if let Some(child) = child
            && !process_alive(child.pid)
        {
            let log_tail = child.log.map(log_tail).unwrap_or_default();
            return Err(match foreign {
                Some(seen) => InstallError::Foreign {
                    address: local_address(listen),
                    seen,
                },
                None => InstallError::ServerExited { log_tail },
            });
        }
        match client.get(&url).send() {
            Ok(response) if response.status().is_success() => {
                let ready = response
                    .json::<Ready>()
                    .map_err(|e| InstallError::NotHealthy {
                        url: url.clone(),
                        last: e.to_string(),
                    })?;
                if let Some(child) = child
                    && !child.answered(&ready)
                {
                    last = format!(
                        "another upsignon server (version {}) answers, not the process {} just started",
                        ready.version, child.pid
                    );
                    foreign = Some(last.clone());
                } else {
                    match version {
                        Some(wanted) if ready.version != wanted => {
                            last = format!("ready, but still version {}", ready.version)
                        }
                        _ => return Ok(ready),
                    }
                }
            }
            Ok(response) => {
                last = format!(
                    "{} {}",
                    response.status(),
                    response.text().unwrap_or_default()
                )
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(InstallError::NotHealthy { url, last })
}

/// The main pid systemd gives the unit, once it runs.
pub fn systemd_main_pid() -> Option<u32> {
    let output = Command::new("systemctl")
        .args(["show", "--property=MainPID", "--value", UNIT_NAME])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let pid: u32 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .ok()?;
    (pid != 0).then_some(pid)
}

pub fn health_url(listen: SocketAddr, tls_mode: TlsMode) -> String {
    let scheme = if tls_mode == TlsMode::None {
        "http"
    } else {
        "https"
    };
    format!("{scheme}://{}/health/ready", local_address(listen))
}

/// A client for probing our own server on loopback. It does not verify the
/// certificate: the probe asks whether the process we just started serves,
/// and `upsignon doctor` checks the certificate itself separately.
pub fn probe_client() -> Result<reqwest::blocking::Client, InstallError> {
    reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| InstallError::Command {
            command: "the health probe".to_string(),
            reason: e.to_string(),
        })
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `systemd-analyze verify` on the unit as install writes it: the
    /// ExecStart file must exist and run (it names it when it does not).
    fn verify(binary: &Path) -> (bool, String) {
        let dir = tempfile::tempdir().unwrap();
        let unit = dir.path().join(UNIT_NAME);
        fs::write(&unit, unit_text(binary)).unwrap();
        let output = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&unit)
            .output()
            .expect("systemd-analyze runs (apt-get install systemd)");
        let text = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), text)
    }

    #[test]
    fn the_written_unit_runs_the_installed_binary_and_systemd_accepts_it() {
        let dir = tempfile::tempdir().unwrap();
        let installed = dir.path().join("usr/local/bin/upsignon");
        install_binary(&std::env::current_exe().unwrap(), &installed).unwrap();
        let text = unit_text(&installed);
        assert!(
            text.contains(&format!("ExecStart={} serve", installed.display())),
            "{text}"
        );
        assert!(!text.contains("ExecStart=/usr/bin/upsignon"));
        let (ok, problems) = verify(&installed);
        assert!(ok, "{problems}");
        let (ok, problems) = verify(&dir.path().join("usr/bin/upsignon"));
        assert!(!ok && problems.contains("is not executable"), "{problems}");
    }
}
