//! `upsignon install` as a sysadmin runs it: the real binary, unattended
//! into a temporary prefix on SQLite and PostgreSQL, and interactive in a
//! pseudo-terminal (tmux), each ending with a server answering
//! `/health/ready`.

mod support;

use std::path::Path;
use std::process::Command;

use support::{StopsServer, Terminal, binary, free_port, ready, text};
use upsignon_testkit::{Backend, TestDatabase};

fn install(prefix: &Path, port: u16) -> Command {
    support::install_command(prefix, port)
}

fn unattended_install_gives_a_healthy_server(backend: Backend) {
    let db = TestDatabase::new(backend);
    let prefix = db.dir.path().join("root");
    let port = free_port();
    let _stop = StopsServer(prefix.clone());
    let mut command = install(&prefix, port);
    command.args(["--non-interactive", "--admin-email", "it@example.com"]);
    if backend == Backend::Postgres {
        command.args(["--database-url", &db.url_string()]);
    }
    let output = command.output().unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("Sign-in code:"), "{out}");
    let state = prefix.join("var/lib/upsignon");
    let health = ready(&state, port);
    assert_eq!(health["status"], "ready");

    // Re-running repairs: same key, same admin, no new code, still healthy.
    let key = std::fs::read(prefix.join("etc/upsignon/backup.key")).unwrap();
    let mut again = install(&prefix, port);
    again.args(["--non-interactive", "--admin-email", "it@example.com"]);
    let output = again.output().unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("already existed; no new code"), "{out}");
    assert!(!out.contains("Sign-in code:"), "{out}");
    assert_eq!(
        std::fs::read(prefix.join("etc/upsignon/backup.key")).unwrap(),
        key
    );
    assert_eq!(ready(&state, port)["status"], "ready");
}

#[test]
fn unattended_install_on_sqlite() {
    unattended_install_gives_a_healthy_server(Backend::Sqlite);
}

#[test]
fn unattended_install_on_postgres() {
    unattended_install_gives_a_healthy_server(Backend::Postgres);
}

#[test]
fn an_unreachable_database_stops_the_install_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let output = install(&prefix, free_port())
        .args([
            "--non-interactive",
            "--database-url",
            "postgres://postgres:secret@127.0.0.1:1/upsignon",
        ])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(!output.status.success());
    assert!(out.contains("cannot connect"), "{out}");
    assert!(out.contains("database_url"), "{out}");
    assert!(!out.contains("secret"), "the password leaked: {out}");
    assert!(!prefix.exists(), "something was written");
}

#[test]
fn a_bad_answer_is_refused_with_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let output = install(&prefix, free_port())
        .args(["--non-interactive", "--admin-email", "nobody"])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(!output.status.success());
    assert!(
        out.contains("admin_email") && out.contains("nobody"),
        "{out}"
    );
    assert!(!prefix.exists());
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let output = install(&prefix, free_port())
        .args([
            "--dry-run",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1:1/x",
        ])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    for expected in [
        "upsignon.toml",
        "backup.key",
        "migrations",
        "serve",
        "health/ready",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }
    assert!(!out.contains("hunter2"), "{out}");
    assert!(!prefix.exists());
}

/// When the server does not get ready, the admin created before is not
/// lost: the error carries its code and the reset command, and a re-run
/// names the admins that exist instead of "none yet".
#[test]
fn a_failed_start_still_prints_the_first_admins_code() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let port = free_port();
    let _stop = StopsServer(prefix.clone());
    let output = install(&prefix, port)
        .args([
            "--non-interactive",
            "--admin-email",
            "it@example.com",
            "--ready-timeout",
            "0",
        ])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(!output.status.success(), "{out}");
    assert!(out.contains("did not become ready"), "{out}");
    assert!(
        out.contains("The first admin it@example.com was created")
            && out.contains("one-time sign-in code")
            && out.contains("upsignon admin reset it@example.com"),
        "{out}"
    );
    let again = install(&prefix, port)
        .arg("--non-interactive")
        .output()
        .unwrap();
    let out = text(&again);
    assert!(again.status.success(), "{out}");
    assert!(out.contains("Admins:       it@example.com"), "{out}");
    assert!(out.contains("admin reset"), "{out}");
    assert!(!out.contains("none yet"), "{out}");
}

/// A build from source started by systemd runs from /usr/local/bin, never
/// from the build tree or from /usr/bin (where no package put it); the
/// unit's text is checked with `systemd-analyze verify` in the ops crate.
#[test]
fn a_systemd_install_from_source_copies_the_binary_the_unit_runs() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let output = install(&prefix, free_port())
        .args(["--dry-run", "--start", "systemd"])
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    if std::path::Path::new("/usr/lib/systemd/system/upsignon.service").is_file()
        || std::path::Path::new("/lib/systemd/system/upsignon.service").is_file()
    {
        // A package owns the unit and /usr/bin/upsignon on this machine.
        assert!(out.contains("/usr/bin/upsignon"), "{out}");
        return;
    }
    assert!(
        out.contains(&format!(
            "copy {} to /usr/local/bin/upsignon",
            support::binary()
        )),
        "{out}"
    );
    assert!(
        out.contains("ExecStart=/usr/local/bin/upsignon serve"),
        "{out}"
    );
    assert!(out.contains("install.json"), "{out}");
}

#[test]
fn an_answers_file_gives_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let answers = dir.path().join("answers.toml");
    std::fs::write(
        &answers,
        "public_url = \"https://passwords.example.com\"\ntenant_slug = \"acme\"\n",
    )
    .unwrap();
    let output = install(&prefix, free_port())
        .args(["--non-interactive", "--start", "no", "--answers"])
        .arg(&answers)
        .output()
        .unwrap();
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("tenant 'acme' created"), "{out}");
    let config = std::fs::read_to_string(prefix.join("etc/upsignon/upsignon.toml")).unwrap();
    assert!(config.contains("https://passwords.example.com"), "{config}");
}

/// Enter through every question, except the database: a wrong PostgreSQL
/// URL first (refused with the reason, asked again), then the right one.
#[test]
fn interactive_install_with_enter_and_a_corrected_postgres_url() {
    const PASSWORD: &str = "p@ss w/ord";
    let db = TestDatabase::new(Backend::Postgres);
    let prefix = db.dir.path().join("root");
    let port = free_port();
    let _stop = StopsServer(prefix.clone());
    let term = Terminal::start(&format!(
        "{} install --prefix {} --listen 127.0.0.1:{port}",
        binary(),
        prefix.display()
    ));
    term.wait_for("Public URL");
    term.keys(&["Enter"]);
    term.wait_for("Database");
    term.keys(&["Down", "Enter"]);
    term.wait_for("PostgreSQL URL");
    term.keys(&["C-u"]);
    term.text("postgres://postgres@127.0.0.1:1/nowhere");
    term.keys(&["Enter"]);
    // The password is asked on its own, hidden.
    term.wait_for("Password of postgres (hidden; Enter for none)");
    term.text("first try");
    term.keys(&["Enter"]);
    term.wait_for("Fix the URL or the password and try again");
    term.text(&db.url_string());
    term.keys(&["Enter"]);
    term.wait_for("Password of postgres (hidden; Enter keeps the current one)");
    term.text(PASSWORD);
    term.keys(&["Enter"]);
    let screen = term.wait_for("connected");
    assert!(
        !screen.contains("first try") && !screen.contains(PASSWORD),
        "a password was shown: {screen}"
    );
    for question in [
        "TLS certificate",
        "SMTP server",
        "First admin",
        "Backup directory",
        "Backup key file",
        "Sentry",
        "start the server",
    ] {
        term.wait_for(question);
        term.keys(&["Enter"]);
    }
    let screen = term.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("Install finished"), "{screen}");
    // Enter at "First admin" gives one, with the code to sign in.
    assert!(screen.contains("admin@"), "{screen}");
    let config = std::fs::read_to_string(prefix.join("etc/upsignon/upsignon.toml")).unwrap();
    // Local PostgreSQL trusts 127.0.0.1, so any password connects; the URL
    // keeps it, percent-encoded.
    let expected = upsignon_config::url_password::with_password(&db.url_string(), PASSWORD);
    assert!(expected.contains("p%40ss%20w%2Ford"), "{expected}");
    assert!(config.contains(&expected), "{config}");
    assert_eq!(
        ready(&prefix.join("var/lib/upsignon"), port)["status"],
        "ready"
    );
}

#[test]
fn ctrl_c_during_the_questions_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let term = Terminal::start(&format!(
        "{} install --prefix {} --listen 127.0.0.1:{}",
        binary(),
        prefix.display(),
        free_port()
    ));
    term.wait_for("Public URL");
    term.keys(&["Enter"]);
    term.wait_for("Database");
    term.keys(&["Enter"]);
    term.wait_for("TLS certificate");
    term.keys(&["C-c"]);
    let screen = term.wait_for("EXIT=");
    assert!(!screen.contains("EXIT=0"), "{screen}");
    assert!(!prefix.exists(), "Ctrl-C left files behind");
}
