//! Opt-in error reports, by running `upsignon serve` as a sysadmin would,
//! on both backends, with a loopback listener standing in for Sentry: a
//! database error while a device asks for access becomes a report with the
//! release and environment set, and without what personal data the
//! request carried (email, IP addresses, device name, body, cookies, auth
//! header) unless the operator lets a field through. Without `sentry_dsn`
//! nothing is sent, even with `SENTRY_DSN` in the environment.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use support::{binary, free_port};
use upsignon_store::Store;
use upsignon_store::queries::{tenants, users};
use upsignon_testkit::{Backend, SentrySink, TestDatabase, backend_tests};

const EMAIL: &str = "victim@acme.test";
const QUOTED_EMAIL: &str = "quoted.person@acme.test";
const QUOTED_IP: &str = "203.0.113.9";
const CLIENT_IP: &str = "198.51.100.23";
const DEVICE_NAME: &str = "Laptop of the finance team";
const BEARER: &str = "bearer-secret-0123456789";
const COOKIE: &str = "cookie-secret-9876543210";

/// Kills the server when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database whose device insertions fail with a message quoting an
/// email and an IP address, as database errors quote the values they
/// refuse.
fn failing_site(backend: Backend) -> TestDatabase {
    let db = TestDatabase::new(backend);
    let store = Store::open(&db.url, 1).unwrap();
    store.migrate_up("test").unwrap();
    let mut conn = store.connection().unwrap();
    tenants::insert(
        &mut conn,
        &tenants::TenantRow {
            id: "t-acme".into(),
            slug: "acme".into(),
            name: "Acme".into(),
            settings: "{}".into(),
            stopped: false,
            new_url: None,
            created_at: 1,
        },
    )
    .unwrap();
    users::allow_pattern(&mut conn, "allowed", "t-acme", "*@acme.test", 1).unwrap();
    let message = format!("device refused for {QUOTED_EMAIL} seen from {QUOTED_IP}");
    let trigger = match backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_devices BEFORE INSERT ON devices \
             BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION refuse_devices() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_devices BEFORE INSERT ON devices \
             FOR EACH ROW EXECUTE FUNCTION refuse_devices();"
        ),
    };
    conn.batch_execute(&trigger).unwrap();
    db
}

fn config_file(db: &TestDatabase, port: u16, extra: &str) -> PathBuf {
    let path = db.dir.path().join("upsignon.toml");
    std::fs::write(
        &path,
        format!(
            "database_url = \"{}\"\nstate_dir = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n\
             tls_mode = \"none\"\nlog_format = \"json\"\ntrusted_proxies = [\"127.0.0.1\"]\n\
             workers = 1\n{extra}",
            db.url_string(),
            db.dir.path().join("state").display(),
        ),
    )
    .unwrap();
    path
}

fn serve(config: &Path, sentry_env: Option<&str>) -> Server {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(config));
    if let Some(dsn) = sentry_env {
        command.env("SENTRY_DSN", dsn);
    }
    Server(command.spawn().unwrap())
}

/// The server's log, beside its config.
fn log_file(config: &Path) -> std::fs::File {
    std::fs::File::create(config.with_file_name("serve.log")).unwrap()
}

fn wait_ready(port: u16) {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let url = format!("http://127.0.0.1:{port}/health/live");
        if client.get(url).send().is_ok_and(|r| r.status() == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not answer within 30 s");
}

/// A device asks for access, with every kind of personal data on it.
fn failing_request(port: u16) {
    let body = serde_json::json!({
        "userEmail": EMAIL,
        "deviceId": "device-1",
        "devicePublicKey": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "deviceName": DEVICE_NAME,
        "osFamily": "linux",
    });
    let response = reqwest::blocking::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/acme/api2/request-device-access?token={BEARER}"
        ))
        .header("Authorization", format!("Bearer {BEARER}"))
        .header("Cookie", format!("__Host-upsignon-console={COOKIE}"))
        .header("X-Forwarded-For", CLIENT_IP)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 500, "the trigger makes the request fail");
    let text = response.text().unwrap();
    assert!(
        !text.contains("refused"),
        "internal text never reaches the client: {text}"
    );
}

fn sent_report(backend: Backend, extra: &str) -> String {
    let sink = SentrySink::start();
    let db = failing_site(backend);
    let port = free_port();
    let extra = format!(
        "sentry_dsn = \"{}\"\nsentry_environment = \"ci\"\n{extra}",
        sink.dsn()
    );
    let config = config_file(&db, port, &extra);
    let _server = serve(&config, None);
    wait_ready(port);
    failing_request(port);
    sink.wait_for("device refused", Duration::from_secs(20))
        .unwrap_or_else(|| {
            let log = std::fs::read_to_string(db.dir.path().join("serve.log")).unwrap_or_default();
            panic!(
                "no error report reached the DSN; it received {:?}\nserver log:\n{log}",
                sink.received()
            )
        })
}

fn reports_are_scrubbed_by_default(backend: Backend) {
    let report = sent_report(backend, "");
    for secret in [
        EMAIL,
        QUOTED_EMAIL,
        QUOTED_IP,
        CLIENT_IP,
        DEVICE_NAME,
        BEARER,
        COOKIE,
    ] {
        assert!(!report.contains(secret), "{secret} was sent:\n{report}");
    }
    for kept in [
        "device refused for [email] seen from [ip]",
        "upsignon@",
        "\"environment\":\"ci\"",
    ] {
        assert!(report.contains(kept), "{kept} missing from:\n{report}");
    }
}

fn a_field_the_operator_opts_in_is_sent_and_only_it(backend: Backend) {
    let report = sent_report(backend, "sentry_send_fields = [\"cookies\", \"emails\"]\n");
    assert!(report.contains(COOKIE), "cookies were opted in:\n{report}");
    assert!(
        report.contains(QUOTED_EMAIL),
        "emails were opted in:\n{report}"
    );
    for secret in [QUOTED_IP, CLIENT_IP, DEVICE_NAME, BEARER] {
        assert!(!report.contains(secret), "{secret} was sent:\n{report}");
    }
}

fn without_a_dsn_nothing_is_sent(backend: Backend) {
    let sink = SentrySink::start();
    let db = failing_site(backend);
    let port = free_port();
    let config = config_file(&db, port, "");
    let _server = serve(&config, Some(&sink.dsn()));
    wait_ready(port);
    failing_request(port);
    assert_eq!(
        sink.wait_for("", Duration::from_secs(3)),
        None,
        "no sentry_dsn: no report, whatever SENTRY_DSN says"
    );
}

backend_tests!(
    reports_are_scrubbed_by_default,
    a_field_the_operator_opts_in_is_sent_and_only_it,
    without_a_dsn_nothing_is_sent
);
