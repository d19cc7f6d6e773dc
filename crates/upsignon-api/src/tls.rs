//! TLS material: a certificate generated once and kept in the state
//! directory, or the sysadmin's own files, turned into a rustls config.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use upsignon_config::{Config, TlsMode};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "cannot read the TLS {what} {path}: {reason}\nCheck tls_cert / tls_key in the config, or use tls_mode = \"self-signed\"."
    )]
    Read {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "the TLS private key {0} is readable by other users of this machine: refusing to start.\nRun `chmod 600 {0}` (or 640 with a dedicated group) and start again."
    )]
    KeyTooOpen(PathBuf),
    #[error(
        "cannot write the generated TLS {what} to {path}: {reason}\nMake state_dir writable by the server's user."
    )]
    Write {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    #[error(
        "the TLS certificate and key do not form a usable pair: {0}\nCheck that tls_key is the private key of tls_cert."
    )]
    Config(String),
}

/// The rustls config for `config`, or `None` with `tls_mode = "none"`.
pub fn server_config(config: &Config) -> Result<Option<ServerConfig>, TlsError> {
    let (cert, key) = match config.tls_mode {
        TlsMode::None => return Ok(None),
        TlsMode::Files => {
            let (cert, key) = (
                config.tls_cert.clone().unwrap_or_default(),
                config.tls_key.clone().unwrap_or_default(),
            );
            refuse_open_key(&key)?;
            (cert, key)
        }
        TlsMode::SelfSigned => ensure_self_signed(config)?,
    };
    build(&cert, &key).map(Some)
}

/// Where a generated certificate is kept, so clients can pin or trust it.
pub fn self_signed_paths(state_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = state_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

fn build(cert_path: &Path, key_path: &Path) -> Result<ServerConfig, TlsError> {
    fn read_err<'a>(
        what: &'static str,
        path: &'a Path,
    ) -> impl Fn(rustls_pki_types::pem::Error) -> TlsError + 'a {
        move |e| TlsError::Read {
            what,
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(read_err("certificate", cert_path))?
        .collect::<Result<_, _>>()
        .map_err(read_err("certificate", cert_path))?;
    if certs.is_empty() {
        return Err(TlsError::Read {
            what: "certificate",
            path: cert_path.to_path_buf(),
            reason: "no PEM certificate found in the file".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(read_err("private key", key_path))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(server)
}

#[cfg(unix)]
fn refuse_open_key(path: &Path) -> Result<(), TlsError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|e| TlsError::Read {
        what: "private key",
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if meta.permissions().mode() & 0o007 != 0 {
        return Err(TlsError::KeyTooOpen(path.to_path_buf()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_open_key(_path: &Path) -> Result<(), TlsError> {
    Ok(())
}

/// How long a generated certificate is valid: under the 398 days that
/// browsers and Apple platforms accept for a server certificate.
pub const SELF_SIGNED_VALIDITY_DAYS: i64 = 397;
/// A generated certificate this close to expiry is replaced at start.
pub const RENEW_BEFORE_DAYS: i64 = 30;

/// Reuses the kept certificate, or generates one on first start or when
/// the kept one is about to expire.
fn ensure_self_signed(config: &Config) -> Result<(PathBuf, PathBuf), TlsError> {
    let (cert_path, key_path) = self_signed_paths(&config.state_dir);
    if cert_path.is_file() && key_path.is_file() {
        refuse_open_key(&key_path)?;
        match days_left(&cert_path) {
            Some(days) if days >= RENEW_BEFORE_DAYS => return Ok((cert_path, key_path)),
            days => tracing::warn!(
                cert = %cert_path.display(),
                days_left = days.unwrap_or(-1),
                "renewing the self-signed certificate; apps that were told to trust the old one must be told to trust the new one"
            ),
        }
    }
    let (cert_pem, key_pem) = generate(subject_names(config))?;
    write_private(&key_path, key_pem.as_bytes(), "private key", 0o600)?;
    write_private(&cert_path, cert_pem.as_bytes(), "certificate", 0o644)?;
    tracing::info!(cert = %cert_path.display(), "generated a self-signed TLS certificate");
    Ok((cert_path, key_path))
}

/// A self-signed certificate for `names`, valid from yesterday (clock skew)
/// for [`SELF_SIGNED_VALIDITY_DAYS`]. Returns (certificate, key) as PEM.
fn generate(names: Vec<String>) -> Result<(String, String), TlsError> {
    let fail = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut params = rcgen::CertificateParams::new(names).map_err(fail)?;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(SELF_SIGNED_VALIDITY_DAYS);
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Whole days until the certificate in `path` expires (negative once it has).
fn days_left(path: &Path) -> Option<i64> {
    let der = CertificateDer::pem_file_iter(path).ok()?.next()?.ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let left =
        cert.validity().not_after.timestamp() - time::OffsetDateTime::now_utc().unix_timestamp();
    Some(left.div_euclid(86_400))
}

fn subject_names(config: &Config) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let ip = config.listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    if let Some(host) = config.public_url.as_deref().and_then(host_of) {
        names.push(host);
    }
    names.dedup();
    names
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// Writes to a temporary name, fsyncs, then renames: never a half-written file.
fn write_private(
    path: &Path,
    contents: &[u8],
    what: &'static str,
    mode: u32,
) -> Result<(), TlsError> {
    let fail = |e: std::io::Error| TlsError::Write {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(fail)?;
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(fail)?;
    file.write_all(contents)
        .and_then(|_| file.sync_all())
        .map_err(fail)?;
    fs::rename(&tmp, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_valid_less_than_398_days() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = generate(vec!["localhost".to_string()]).unwrap();
        let path = dir.path().join("cert.pem");
        fs::write(&path, cert).unwrap();
        let days = days_left(&path).unwrap();
        assert!(
            (SELF_SIGNED_VALIDITY_DAYS - 1..=SELF_SIGNED_VALIDITY_DAYS).contains(&days),
            "{days}"
        );
    }

    #[test]
    fn a_certificate_about_to_expire_is_renewed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            state_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let (cert_path, key_path) = self_signed_paths(dir.path());
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3);
        let old = params.self_signed(&key).unwrap().pem();
        write_private(&cert_path, old.as_bytes(), "certificate", 0o644).unwrap();
        write_private(
            &key_path,
            key.serialize_pem().as_bytes(),
            "private key",
            0o600,
        )
        .unwrap();
        server_config(&config).unwrap();
        assert_ne!(fs::read_to_string(&cert_path).unwrap(), old);
        assert!(days_left(&cert_path).unwrap() > 300);
    }

    #[test]
    fn reads_the_host_of_the_public_url() {
        assert_eq!(
            host_of("https://vault.example.com:8443/x").as_deref(),
            Some("vault.example.com")
        );
        assert_eq!(
            host_of("https://[2001:db8::1]:443").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(host_of("nonsense"), None);
    }
}
