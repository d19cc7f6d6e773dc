//! `upsignon admin list` and `admin reset` as a sysadmin runs them, on
//! SQLite and PostgreSQL: a locked-out admin gets a new one-time code that
//! the console accepts; an unknown email is refused with what to do.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use support::{binary, text};
use upsignon_domain::{Email, TenantSlug};
use upsignon_ops::install::ensure_tenant_and_admin;
use upsignon_store::Store;
use upsignon_store::queries::admins;
use upsignon_testkit::{Backend, TestDatabase};

fn site(backend: Backend) -> (TestDatabase, PathBuf, Store) {
    let db = TestDatabase::new(backend);
    let config = db.dir.path().join("upsignon.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\nstate_dir = \"{}\"\n",
            db.url_string(),
            db.dir.path().join("state").display()
        ),
    )
    .unwrap();
    let store = Store::open(&db.url, 1).unwrap();
    store.migrate_up("test").unwrap();
    ensure_tenant_and_admin(
        &store,
        &TenantSlug::parse("acme").unwrap(),
        "Acme",
        Some(&Email::parse("it@acme.test").unwrap()),
    )
    .unwrap();
    (db, config, store)
}

fn run(config: &PathBuf, args: &[&str]) -> Output {
    Command::new(binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn reset_gives_a_code_and_lifts_the_lockout(backend: Backend) {
    let (_db, config, store) = site(backend);
    let mut conn = store.connection().unwrap();
    let admin = admins::find_by_email(&mut conn, "it@acme.test")
        .unwrap()
        .unwrap();
    admins::claim_sign_in_attempt(&mut conn, &admin.id, 0, 1, i64::MAX).unwrap();

    let listed = run(&config, &["admin", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let listed = text(&listed);
    assert!(
        listed.contains("it@acme.test  super_admin  all tenants"),
        "{listed}"
    );
    assert!(listed.contains("LOCKED"), "{listed}");

    let reset = run(&config, &["admin", "reset", "it@acme.test"]);
    assert!(reset.status.success(), "{}", text(&reset));
    let out = String::from_utf8_lossy(&reset.stdout).to_string();
    let code = out
        .lines()
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .expect("the code");
    assert_eq!(code.len(), 39, "{out}");
    let unlocked = admins::find(&mut conn, &admin.id).unwrap().unwrap();
    assert_eq!(unlocked.locked_until, None);
    // The code is the kind the console's first sign-in consumes, once.
    let hash = upsignon_console::one_time_code::hash(code);
    assert_eq!(
        admins::consume_sign_in_code(&mut conn, &hash, 0).unwrap(),
        Some(admin.id.clone())
    );
    assert_eq!(
        admins::consume_sign_in_code(&mut conn, &hash, 0).unwrap(),
        None
    );

    let unknown = run(&config, &["admin", "reset", "nobody@acme.test"]);
    assert!(!unknown.status.success());
    let message = text(&unknown);
    assert!(
        message.contains("no console admin with the email nobody@acme.test"),
        "{message}"
    );
    assert!(message.contains("upsignon admin list"), "{message}");
}

upsignon_testkit::backend_tests!(reset_gives_a_code_and_lifts_the_lockout);
