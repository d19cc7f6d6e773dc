//! The certificate apps see: present, valid now, not about to expire, and
//! with its full chain (mobile apps refuse an incomplete one).

use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use upsignon_config::{Config, TlsMode};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::Check;

const NAME: &str = "tls";
const WARN_DAYS: i64 = 30;

pub fn certificate(config: &Config) -> Check {
    match config.tls_mode {
        TlsMode::None => Check::ok(
            NAME,
            "plain HTTP on loopback: TLS is the reverse proxy's (check its certificate there)",
        ),
        TlsMode::SelfSigned => {
            let (cert, _) = upsignon_api::tls::self_signed_paths(&config.state_dir);
            if !cert.is_file() {
                return Check::warn(
                    NAME,
                    "self-signed certificate not generated yet (the server makes it on first start)",
                    "start the server once",
                );
            }
            match inspect(&cert) {
                Err(check) => check,
                Ok(chain) if chain.expired() => chain.expired_check(),
                Ok(chain) => Check::warn(
                    NAME,
                    format!(
                        "self-signed certificate {}, {}",
                        cert.display(),
                        chain.expiry_text()
                    ),
                    "apps must be told to trust it; for production set tls_mode = \"files\" with a certificate from a CA",
                ),
            }
        }
        TlsMode::Files => {
            let cert = config.tls_cert.clone().unwrap_or_default();
            let chain = match inspect(&cert) {
                Ok(chain) => chain,
                Err(check) => return check,
            };
            if chain.expired() {
                return chain.expired_check();
            }
            if let Some(problem) = chain.incompleteness() {
                return Check::fail(
                    NAME,
                    problem,
                    format!(
                        "put the intermediate certificates after the server's in {} (the CA's fullchain.pem)",
                        cert.display()
                    ),
                );
            }
            if chain.days_left < WARN_DAYS {
                return Check::warn(
                    NAME,
                    format!("{}: {}", cert.display(), chain.expiry_text()),
                    "renew the certificate and restart the server",
                );
            }
            Check::ok(
                NAME,
                format!(
                    "{} ({} certificates), {}",
                    cert.display(),
                    chain.len,
                    chain.expiry_text()
                ),
            )
        }
    }
}

struct Chain {
    len: usize,
    days_left: i64,
    not_after: String,
    /// Subject and issuer of each certificate, leaf first.
    names: Vec<(String, String)>,
}

impl Chain {
    fn expired(&self) -> bool {
        self.days_left < 0
    }

    fn expired_check(&self) -> Check {
        Check::fail(
            NAME,
            format!("the certificate expired on {}", self.not_after),
            "renew it (or delete <state_dir>/tls/ for a self-signed one, which is then regenerated) and restart the server",
        )
    }

    fn expiry_text(&self) -> String {
        format!(
            "valid until {} ({} days left)",
            self.not_after, self.days_left
        )
    }

    /// Why the chain cannot be followed from the server's certificate to a
    /// root the apps know, when it cannot.
    fn incompleteness(&self) -> Option<String> {
        let (subject, issuer) = self.names.first()?;
        if self.len == 1 && subject != issuer {
            return Some(format!(
                "the file holds only the server certificate, issued by {issuer}: the intermediate certificates are missing"
            ));
        }
        for pair in self.names.windows(2) {
            if pair[0].1 != pair[1].0 {
                return Some(format!(
                    "the chain is out of order: {} is issued by {}, but the next certificate is {}",
                    pair[0].0, pair[0].1, pair[1].0
                ));
            }
        }
        None
    }
}

fn inspect(path: &Path) -> Result<Chain, Check> {
    let unreadable = |reason: String| {
        Check::fail(
            NAME,
            format!("cannot read the certificate {}: {reason}", path.display()),
            "check tls_cert (a PEM file) and its permissions",
        )
    };
    let ders: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| unreadable(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable(e.to_string()))?;
    let mut names = Vec::new();
    let mut leaf_not_after = None;
    for der in &ders {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| unreadable(e.to_string()))?;
        names.push((cert.subject().to_string(), cert.issuer().to_string()));
        if leaf_not_after.is_none() {
            leaf_not_after = Some(cert.validity().not_after.timestamp());
        }
    }
    let Some(not_after) = leaf_not_after else {
        return Err(unreadable("no certificate in the file".to_string()));
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let not_after_text = time::OffsetDateTime::from_unix_timestamp(not_after)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| not_after.to_string());
    Ok(Chain {
        len: ders.len(),
        days_left: (not_after - now).div_euclid(86_400),
        not_after: not_after_text,
        names,
    })
}
