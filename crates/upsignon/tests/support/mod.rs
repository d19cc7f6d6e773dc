//! Helpers shared by the binary's test files: ports, output text, a tmux
//! pseudo-terminal driver for the interactive paths, and a guard that stops
//! servers that `upsignon install` started in the background.

#![allow(dead_code)]

pub mod backup_site;
pub mod releases;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_upsignon")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `upsignon install --prefix PREFIX --listen 127.0.0.1:PORT`, with a clean
/// environment and no standard input; callers add the answers.
pub fn install_command(prefix: &Path, port: u16) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null());
    command
}

/// Kills the background server of an install under `prefix` when dropped.
pub struct StopsServer(pub PathBuf);

impl Drop for StopsServer {
    fn drop(&mut self) {
        let pid_file = self.0.join("var/lib/upsignon/upsignon.pid");
        // Only a live `upsignon ... serve`: the pid of a server that died
        // earlier may belong to another test's process by now.
        if let Ok(text) = std::fs::read_to_string(pid_file)
            && let Some(pid) = text.lines().next()
            && let Ok(cmdline) = std::fs::read(format!("/proc/{}/cmdline", pid.trim()))
            && cmdline.split(|b| *b == 0).any(|arg| arg == b"serve")
        {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

/// GET `/health/ready` over HTTPS, trusting the certificate the server
/// generated under `state_dir`.
pub fn ready(state_dir: &Path, port: u16) -> serde_json::Value {
    let pem =
        std::fs::read(state_dir.join("tls/cert.pem")).expect("the server wrote its certificate");
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = client
        .get(format!("https://127.0.0.1:{port}/health/ready"))
        .send()
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// A program running in a tmux pseudo-terminal, driven by keys.
pub struct Terminal {
    session: String,
}

impl Terminal {
    /// Starts `command` (a shell line) in a new detached session. The line
    /// ends with `EXIT=<code>` printed, so `wait_for("EXIT=")` sees the end.
    pub fn start(command: &str) -> Self {
        let session = format!("upsignon-test-{}", uuid_like());
        let line = format!("{command}; echo EXIT=$?; sleep 60");
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "220",
                "-y",
                "60",
                &line,
            ])
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        Self { session }
    }

    pub fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-S", "-200", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits (at most 30 s) until the screen shows `text`; panics with the
    /// screen otherwise.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends tmux key names (`Enter`, `Down`, `C-c`) or literal text.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.session, key])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn text(&self, literal: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-l", "-t", &self.session, literal])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}-{nanos}", std::process::id())
}
