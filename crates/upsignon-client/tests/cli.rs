//! `upsignon-client` as a user runs it: the real binary against the real
//! server (and a real SMTP listener), enrolling with the emailed code typed
//! on its standard input, then creating, reading and writing the vault.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use upsignon_config::Secret;
use upsignon_store::queries::{tenants, users};
use upsignon_testkit::{Backend, SmtpSink, spawn_app_with};

fn client(state: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upsignon-client"));
    command
        .env_clear()
        .env("UPSIGNON_PASSWORD", "correct horse battery staple")
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run_with_input(mut command: Command, input: &[u8]) -> Output {
    let mut child = command.stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn enrol_create_show_and_write_from_the_command_line() {
    let mail = SmtpSink::start();
    let url = mail.url();
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.smtp_url = Some(Secret::new(url));
        config.smtp_from = Some("upsignon@example.com".to_string());
    });
    let mut conn = app.store.connection().unwrap();
    tenants::insert(
        &mut conn,
        &tenants::TenantRow {
            id: "t1".to_string(),
            slug: "acme".to_string(),
            name: "Acme".to_string(),
            settings: "{}".to_string(),
            stopped: false,
            new_url: None,
            created_at: 1,
        },
    )
    .unwrap();
    users::allow_pattern(&mut conn, "a1", "t1", "*@acme.test", 1).unwrap();
    drop(conn);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("device.json");
    let cert = upsignon_api_cert(&app.config.state_dir);

    let mut enrol = client(&state);
    enrol.args([
        "enrol",
        "--server",
        &app.base_url,
        "--tenant",
        "acme",
        "--email",
        "me@acme.test",
    ]);
    enrol.arg("--ca-file").arg(&cert);
    let mut child = enrol.stdin(Stdio::piped()).spawn().unwrap();
    let message = mail.wait_for("me@acme.test");
    let subject = message
        .data
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap();
    let words: Vec<&str> = subject.split_whitespace().collect();
    let code = words[words.iter().position(|w| *w == "code").unwrap() + 1];
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{code}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("this device is authorised"),
        "{}",
        text(&output)
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let mut create = client(&state);
    create.arg("create-vault");
    let output = run_with_input(create, b"{\"items\":[\"first\"]}");
    assert!(output.status.success(), "{}", text(&output));

    let mut write = client(&state);
    write.arg("write");
    let output = run_with_input(write, b"{\"items\":[\"second\"]}");
    assert!(
        text(&output).contains("written: version 2"),
        "{}",
        text(&output)
    );

    let mut show = client(&state);
    show.arg("show");
    let output = run_with_input(show, b"");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "{\"items\":[\"second\"]}"
    );

    let mut wrong = client(&state);
    wrong
        .env("UPSIGNON_PASSWORD", "not the password")
        .arg("show");
    let output = run_with_input(wrong, b"");
    assert!(!output.status.success());
    assert!(text(&output).contains("bad_password"), "{}", text(&output));
}

/// The server's generated certificate, which the client is told to trust.
fn upsignon_api_cert(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("tls/cert.pem")
}
