//! Upgrades and rollbacks killed with SIGKILL at every step of the
//! operation journal (before the step is journaled and once it is), then
//! the one documented command, `upsignon rollback --yes`: release A serves
//! on its own schema with every write kept, the journal is gone, and a
//! second rollback changes nothing. Also: a rollback run from a copy of the
//! binary outside the install, and a foreign process on the port.
//!
//! The kill comes from the fault points of debug builds
//! (`UPSIGNON_TEST_KILL_AT`); both releases here are debug builds.

mod support;

use std::net::TcpListener;

use support::releases::{Site, VERSION_B, build_b, head_of_a, killed, sha};
use support::text;
use upsignon_ops::upgrade::journal::Step;
use upsignon_testkit::{Backend, backend_tests};

/// Every fault point of `steps`, then the last one before the journal is
/// removed. Outside CI's short run, `UPSIGNON_FAULT_POINTS=every` is the
/// default; CI sets `UPSIGNON_FAULT_POINTS=spread` for PostgreSQL.
fn points(steps: &[Step], backend: Backend) -> Vec<String> {
    let mut all: Vec<String> = steps
        .iter()
        .flat_map(|s| [format!("before:{}", s.name()), s.name().to_string()])
        .collect();
    all.push("before:done".to_string());
    match std::env::var("UPSIGNON_FAULT_POINTS").as_deref() {
        Ok("spread") if backend == Backend::Postgres => all.into_iter().step_by(3).collect(),
        Ok("every") | Ok("spread") | Err(_) => all,
        // One point, to look at it alone.
        Ok(one) => all.into_iter().filter(|p| p == one).collect(),
    }
}

fn add_user(site: &Site, email: &str) {
    site.write(&format!(
        "INSERT INTO users (id, tenant_id, email, created_at) VALUES \
         ('{}', '00000000-0000-4000-8000-000000000001', '{email}', 1763900000000)",
        uuid_for(email)
    ));
}

fn uuid_for(email: &str) -> String {
    let n: u128 = email.bytes().fold(7u128, |h, b| {
        h.wrapping_mul(1_000_003).wrapping_add(b as u128)
    });
    let hex = format!("{:032x}", n);
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// A serves on its schema, every user written is there, nothing is left
/// to finish, and a second rollback changes nothing.
fn assert_a_serves_with(site: &Site, emails: &[&str], context: &str) {
    let health = site.ready();
    assert_eq!(health["version"], upsignon_ops::SERVER_VERSION, "{context}");
    assert_eq!(health["schema"], head_of_a(), "{context}");
    let users = site.emails().join("\n");
    for email in emails {
        assert!(users.contains(email), "{context}: {email} lost: {users}");
    }
    let state_dir = site.prefix.join("var/lib/upsignon");
    assert!(
        !state_dir.join("operation.json").exists(),
        "{context}: the journal is left"
    );
    let before = sha(&site.exe);
    let again = site.run(&["rollback", "--yes"]);
    assert!(
        again.status.success(),
        "{context}: {:?} {}",
        again.status,
        text(&again)
    );
    assert!(
        text(&again).contains("nothing older"),
        "{context}: {}",
        text(&again)
    );
    assert_eq!(
        sha(&site.exe),
        before,
        "{context}: the second rollback changed the binary"
    );
    let doctor = site.run(&["doctor"]);
    assert!(
        text(&doctor).contains("no upgrade or rollback under way"),
        "{context}: {}",
        text(&doctor)
    );
}

fn an_upgrade_killed_at_any_step_is_undone_by_rollback(backend: Backend) {
    for point in points(&Step::UPGRADE, backend) {
        let site = Site::install(backend);
        let archive = site.pack(build_b());
        site.fixture("0001_initial.sql");
        add_user(&site, "before@acme.test");
        let output = site
            .command(&["upgrade", "--from", archive.to_str().unwrap()])
            .env("UPSIGNON_TEST_KILL_AT", &point)
            .output()
            .unwrap();
        assert!(killed(&output), "{point}: not reached: {}", text(&output));
        let doctor = site.run(&["doctor"]);
        assert!(!doctor.status.success(), "{point}: {}", text(&doctor));
        assert!(
            text(&doctor).contains("upsignon rollback --yes")
                && !text(&doctor).contains("migrate sync"),
            "{point}: {}",
            text(&doctor)
        );
        let output = site.run(&["rollback", "--yes"]);
        assert!(output.status.success(), "{point}: {}", text(&output));
        add_user(&site, "after@acme.test");
        assert_a_serves_with(&site, &["before@acme.test", "after@acme.test"], &point);
    }
}

backend_tests!(an_upgrade_killed_at_any_step_is_undone_by_rollback);

fn a_rollback_killed_at_any_step_is_finished_by_running_it_again(backend: Backend) {
    for point in points(&Step::ROLLBACK, backend) {
        let site = Site::install(backend);
        let archive = site.pack(build_b());
        site.fixture("0001_initial.sql");
        add_user(&site, "before@acme.test");
        let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
        assert!(output.status.success(), "{point}: {}", text(&output));
        assert_eq!(site.ready()["version"], VERSION_B);
        add_user(&site, "during-b@acme.test");
        let output = site
            .command(&["rollback", "--yes"])
            .env("UPSIGNON_TEST_KILL_AT", &point)
            .output()
            .unwrap();
        assert!(killed(&output), "{point}: not reached: {}", text(&output));
        let output = site.run(&["rollback", "--yes"]);
        assert!(output.status.success(), "{point}: {}", text(&output));
        assert!(
            text(&output).contains("was interrupted"),
            "{point}: {}",
            text(&output)
        );
        add_user(&site, "after@acme.test");
        assert_a_serves_with(
            &site,
            &["before@acme.test", "during-b@acme.test", "after@acme.test"],
            &point,
        );
    }
}

backend_tests!(a_rollback_killed_at_any_step_is_finished_by_running_it_again);

#[test]
fn an_interrupted_upgrade_is_finished_by_running_it_again() {
    let site = Site::install(Backend::Sqlite);
    let archive = site.pack(build_b());
    let output = site
        .command(&["upgrade", "--from", archive.to_str().unwrap()])
        .env("UPSIGNON_TEST_KILL_AT", "start_server")
        .output()
        .unwrap();
    assert!(killed(&output), "{}", text(&output));
    // The installed binary is B now; the same command finishes the upgrade.
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("finishing it"), "{}", text(&output));
    let health = site.ready();
    assert_eq!(health["version"], VERSION_B);
    assert_eq!(health["schema"], "9002");
    assert!(!site.prefix.join("var/lib/upsignon/operation.json").exists());
}

#[test]
fn a_rollback_run_from_a_copy_outside_the_install_replaces_the_installed_binary() {
    let site = Site::install(Backend::Sqlite);
    let a = sha(&site.exe);
    let archive = site.pack(build_b());
    let output = site.run(&["upgrade", "--from", archive.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let elsewhere = site.db.dir.path().join("unpacked/upsignon");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::copy(&site.exe, &elsewhere).unwrap();
    let copy_before = sha(&elsewhere);
    let output = support::releases::output_retrying_busy_text({
        let mut c = std::process::Command::new(&elsewhere);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .arg("--config")
            .arg(site.prefix.join("etc/upsignon/upsignon.toml"))
            .args(["rollback", "--yes"])
            .stdin(std::process::Stdio::null());
        c
    });
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(sha(&site.exe), a, "the installed binary is not A again");
    assert_eq!(sha(&elsewhere), copy_before, "the copy was replaced");
    assert_eq!(site.ready()["version"], upsignon_ops::SERVER_VERSION);
}

/// Holds the site's port with a listener that is not an upsignon server
/// after the site's own server is stopped.
fn stop_and_squat(site: &Site) -> TcpListener {
    let pid_file = site.prefix.join("var/lib/upsignon/upsignon.pid");
    let text = std::fs::read_to_string(&pid_file).unwrap();
    let pid = text.lines().next().unwrap().trim().to_string();
    std::process::Command::new("kill")
        .arg(&pid)
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", site.port)) {
            return listener;
        }
        assert!(std::time::Instant::now() < deadline, "the port stayed held");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_foreign_process_on_the_port_makes_upgrade_and_rollback_fail_clearly() {
    let site = Site::install(Backend::Sqlite);
    let archive = site.pack(build_b());
    let before = sha(&site.exe);
    let _squatter = stop_and_squat(&site);
    for args in [
        vec!["upgrade", "--from", archive.to_str().unwrap()],
        vec!["rollback", "--yes", "--to", upsignon_ops::SERVER_VERSION],
    ] {
        let output = site.run(&args);
        assert!(!output.status.success(), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("not an upsignon server") && text(&output).contains("ss -ltnp"),
            "{args:?}: {}",
            text(&output)
        );
    }
    assert_eq!(sha(&site.exe), before, "the binary changed");
    assert!(!site.prefix.join("var/lib/upsignon/operation.json").exists());
}

#[test]
fn install_refuses_a_port_held_by_another_program() {
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = support::install_command(dir.path(), port)
        .args(["--non-interactive", "--admin-email", "it@example.com"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("not an upsignon server") && text(&output).contains("--listen"),
        "{}",
        text(&output)
    );
    assert!(
        !dir.path().join("var/lib/upsignon/install.json").exists(),
        "install went on"
    );
}

/// Short commands on PostgreSQL end with their own exit code, never a
/// crash at exit (a pool thread still connecting while libpq's OpenSSL
/// cleaned up made one `rollback` in five end with SIGSEGV).
#[test]
fn short_commands_on_postgres_never_crash_at_exit() {
    let site = Site::install(Backend::Postgres);
    for round in 0..30 {
        let output = site.run(&["rollback", "--yes"]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "round {round}: {:?} {}",
            output.status,
            text(&output)
        );
        assert!(
            text(&output).contains("no earlier release"),
            "{}",
            text(&output)
        );
    }
}
