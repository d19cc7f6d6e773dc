//! `upsignon doctor` against a healthy install and broken ones: every FAIL
//! names the problem and the fix, and the exit code is 1.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use rcgen::{CertificateParams, KeyPair};
use support::{StopsServer, binary, free_port, text};

fn doctor(config: &Path) -> (Output, serde_json::Value) {
    let output = Command::new(binary())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--config")
        .arg(config)
        .args(["doctor", "--json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}): {}", text(&output)));
    (output, json)
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check named {name} in {report:#}"))
}

/// A started install under a temporary prefix; returns its config file.
fn installed(prefix: &Path) -> std::path::PathBuf {
    let output = support::install_command(prefix, free_port())
        .args(["--non-interactive", "--admin-email", "it@example.com"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    prefix.join("etc/upsignon/upsignon.toml")
}

#[test]
fn a_healthy_install_has_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let _stop = StopsServer(prefix.clone());
    let config = installed(&prefix);
    let (output, report) = doctor(&config);
    assert!(output.status.success(), "{report:#}");
    for name in [
        "config",
        "state dir",
        "backup dir",
        "backup key",
        "tls",
        "database",
        "schema",
        "clock",
        "disk",
        "backups",
        "standby",
        "server",
    ] {
        assert_ne!(check(&report, name)["status"], "FAIL", "{report:#}");
    }
    assert_eq!(check(&report, "server")["status"], "OK", "{report:#}");
    assert_eq!(check(&report, "schema")["status"], "OK", "{report:#}");
}

#[test]
fn open_permissions_fail_with_the_chmod_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("root");
    let _stop = StopsServer(prefix.clone());
    let config = installed(&prefix);
    let key = prefix.join("etc/upsignon/backup.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let backups = prefix.join("var/backups/upsignon");
    std::fs::set_permissions(&backups, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (output, report) = doctor(&config);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let key_check = check(&report, "backup key");
    assert_eq!(key_check["status"], "FAIL");
    assert!(key_check["fix"].as_str().unwrap().contains("chmod 640"));
    let dir_check = check(&report, "backup dir");
    assert_eq!(dir_check["status"], "FAIL");
    assert!(dir_check["fix"].as_str().unwrap().contains("chmod 700"));
}

fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o750)).unwrap();
    let config = dir.join("upsignon.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"{}\"\nlisten = \"127.0.0.1:{}\"\n{extra}",
            state.display(),
            free_port()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    config
}

fn write_private(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs doctor on a config with `tls_mode = "files"` and this certificate.
fn doctor_with_certificate(
    dir: &Path,
    cert_pem: &str,
    key_pem: &str,
) -> (Output, serde_json::Value) {
    write_private(&dir.join("cert.pem"), cert_pem);
    write_private(&dir.join("key.pem"), key_pem);
    let config = write_config(
        dir,
        &format!(
            "tls_mode = \"files\"\ntls_cert = \"{0}/cert.pem\"\ntls_key = \"{0}/key.pem\"\n",
            dir.display()
        ),
    );
    doctor(&config)
}

#[test]
fn an_expired_certificate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["passwords.example.com".to_string()]).unwrap();
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(400);
    params.not_after = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let cert = params.self_signed(&key).unwrap();
    let (output, report) = doctor_with_certificate(dir.path(), &cert.pem(), &key.serialize_pem());
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let tls = check(&report, "tls");
    assert_eq!(tls["status"], "FAIL", "{report:#}");
    assert!(
        tls["summary"].as_str().unwrap().contains("expired"),
        "{tls}"
    );
}

#[test]
fn a_certificate_without_its_intermediate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Example Intermediate CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["passwords.example.com".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    drop(ca);
    let (output, report) =
        doctor_with_certificate(dir.path(), &leaf.pem(), &leaf_key.serialize_pem());
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let tls = check(&report, "tls");
    assert_eq!(tls["status"], "FAIL", "{report:#}");
    assert!(
        tls["summary"].as_str().unwrap().contains("intermediate"),
        "{tls}"
    );
}

#[test]
fn an_unreachable_database_fails_without_showing_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "database_url = \"postgres://postgres:hunter2@127.0.0.1:1/upsignon\"\n",
    );
    let (output, report) = doctor(&config);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let database = check(&report, "database");
    assert_eq!(database["status"], "FAIL", "{report:#}");
    assert!(database["fix"].as_str().unwrap().contains("database_url"));
    assert!(!report.to_string().contains("hunter2"), "{report:#}");
}

#[test]
fn an_invalid_config_is_one_failed_check_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "workers = \"many\"\n");
    let (output, report) = doctor(&config);
    assert_eq!(output.status.code(), Some(1));
    let config_check = check(&report, "config");
    assert_eq!(config_check["status"], "FAIL");
    assert!(
        config_check["summary"]
            .as_str()
            .unwrap()
            .contains("workers")
    );
}
