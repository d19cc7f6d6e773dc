//! The site every client-API test starts from: the real server with a
//! real SMTP listener, two tenants (`acme`, `other`) each allowing its own
//! domain, and helpers to enrol devices through the reference client.

#![allow(dead_code)]

use upsignon_client::crypto::KdfParams;
use upsignon_client::{Device, TenantApi};
use upsignon_config::Secret;
use upsignon_store::queries::{tenants, users};
use upsignon_store::{Store, dump, introspect};
use upsignon_testkit::{Backend, SmtpSink, TestApp, spawn_app_with};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Site {
    pub app: TestApp,
    pub mail: SmtpSink,
}

impl Site {
    pub fn new(backend: Backend) -> Self {
        Self::with_config(backend, |_| {})
    }

    /// As [`Site::new`], with `adjust` applied to the server's config.
    pub fn with_config(
        backend: Backend,
        adjust: impl FnOnce(&mut upsignon_config::Config),
    ) -> Self {
        let mail = SmtpSink::start();
        let url = mail.url();
        let app = spawn_app_with(backend, |config| {
            config.smtp_url = Some(Secret::new(url));
            config.smtp_from = Some("upsignon@example.com".to_string());
            adjust(config);
        });
        add_tenants(&app);
        Site { app, mail }
    }

    pub fn api(&self, tenant: &str) -> TenantApi {
        TenantApi::new(self.app.client.clone(), &self.app.base_url, tenant)
    }

    /// The code in the newest mail to `email`.
    pub fn code_for(&self, email: &str) -> String {
        let mail = self.mail.wait_for(email);
        let subject = mail
            .data
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .expect("a subject");
        let words: Vec<&str> = subject.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| *w == "code")
            .expect("the word code");
        words[at + 1].to_string()
    }

    pub async fn enrolled(&self, tenant: &str, email: &str, name: &str) -> Device {
        let device = Device::new(self.api(tenant), email, name).unwrap();
        assert_eq!(device.request_access().await.unwrap(), "MAIL_SENT");
        device.confirm_code(&self.code_for(email)).await.unwrap();
        device
    }

    /// Every stored cell of every table, as text.
    pub fn all_stored_text(&self) -> String {
        let store: &Store = &self.app.store;
        let mut conn = store.connection().unwrap();
        dump::tables_in_creation_order(&mut conn)
            .unwrap()
            .iter()
            .flat_map(|t| introspect::rows(&mut conn, t).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub fn cheap_kdf() -> KdfParams {
    KdfParams::with_cost(1024, 1).unwrap()
}

/// Two tenants, `acme` (allows `*@acme.test`) and `other` (`*@other.test`).
pub fn add_tenants(app: &TestApp) {
    let mut conn = app.store.connection().unwrap();
    for (id, slug, name, domain) in [
        ("t-acme", "acme", "Acme", "acme.test"),
        ("t-other", "other", "Other", "other.test"),
    ] {
        tenants::insert(
            &mut conn,
            &tenants::TenantRow {
                id: id.to_string(),
                slug: slug.to_string(),
                name: name.to_string(),
                settings: "{}".to_string(),
                stopped: false,
                new_url: None,
                created_at: 1,
            },
        )
        .unwrap();
        users::allow_pattern(
            &mut conn,
            &format!("{id}-allowed"),
            id,
            &format!("*@{domain}"),
            1,
        )
        .unwrap();
    }
}

/// Everything the server logs (at debug and above) in this test process,
/// captured so tests can check no secret reaches the logs.
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capture once per test binary and returns it.
pub fn capture_logs() -> Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
    .clone()
}
