use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::rt::System;
use upsignon_config::{Config, LogFormat, TlsMode};
use upsignon_ops::serve;
use upsignon_store::{Backend, Store};

use crate::TestDatabase;

/// The real server, on a random loopback port, over its own fresh database,
/// running in a thread of its own. Dropping it stops the server and drops
/// the database.
pub struct TestApp {
    pub address: SocketAddr,
    /// `https://127.0.0.1:PORT` (or `http://` with `tls_mode = "none"`).
    pub base_url: String,
    /// An HTTPS client that trusts the server's generated certificate.
    pub client: reqwest::Client,
    pub config: Config,
    pub store: Store,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    pub db: TestDatabase,
}

/// Starts the server with the default configuration on `backend`.
pub fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {})
}

/// Starts the server after `adjust` has changed the test configuration.
pub fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_tuned(backend, adjust, |prepared| prepared)
}

/// Like [`spawn_app_with`], and `tune` may change the prepared server
/// before it starts (a standby's pull schedule, for instance).
pub fn spawn_app_tuned(
    backend: Backend,
    adjust: impl FnOnce(&mut Config),
    tune: impl FnOnce(serve::Prepared) -> serve::Prepared + Send + 'static,
) -> TestApp {
    let db = TestDatabase::new(backend);
    let mut config = Config {
        database_url: Some(db.url.clone()),
        database_pool_size: 4,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_dir: db.dir.path().join("state"),
        log_format: LogFormat::Human,
        workers: 1,
        shutdown_timeout_secs: 5,
        ..Config::default()
    };
    adjust(&mut config);
    let store = Store::open(&config.database(), 2).expect("a second handle on the test database");
    let (address, handle, thread) = run_server(&config, tune);
    let https = config.tls_mode != TlsMode::None;
    let base_url = format!("{}://{address}", if https { "https" } else { "http" });
    TestApp {
        address,
        base_url,
        client: client_for(&config),
        config,
        store,
        handle,
        thread: Some(thread),
        db,
    }
}

type Started = (SocketAddr, ServerHandle, JoinHandle<()>);

fn run_server(
    config: &Config,
    tune: impl FnOnce(serve::Prepared) -> serve::Prepared + Send + 'static,
) -> Started {
    let prepared =
        serve::prepare(config).unwrap_or_else(|e| panic!("the test server does not start: {e}"));
    let (started_tx, started_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        System::new().block_on(async move {
            let running = tune(prepared).start().expect("start the test server");
            started_tx
                .send((running.address, running.server.handle()))
                .unwrap();
            running.server.await.expect("the test server stops cleanly");
        })
    });
    let (address, handle) = started_rx
        .recv()
        .expect("the server thread reports its address");
    (address, handle, thread)
}

fn client_for(config: &Config) -> reqwest::Client {
    client_builder(config).build().expect("an HTTPS client")
}

fn client_builder(config: &Config) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(20));
    let cert_path = match config.tls_mode {
        TlsMode::SelfSigned => Some(upsignon_api::tls::self_signed_paths(&config.state_dir).0),
        TlsMode::Files => config.tls_cert.clone(),
        TlsMode::None => None,
    };
    if let Some(path) = cert_path {
        let pem = std::fs::read(path).expect("the server certificate");
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"));
    }
    builder
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A client like `client` that does not follow redirects (to see a
    /// `303` and its `Location`).
    pub fn client_without_redirects(&self) -> reqwest::Client {
        client_builder(&self.config)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTPS client")
    }
}

impl TestApp {
    /// Stops the server (the database stays): a primary that goes down.
    pub fn stop_server(&mut self) {
        let handle = self.handle.clone();
        // The server's runtime lives in its own thread; stopping it is awaited
        // from a short-lived runtime so this works inside or outside a test runtime.
        let _ = std::thread::spawn(move || System::new().block_on(handle.stop(true))).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Starts the server again on the same address and database.
    pub fn restart_server(&mut self) {
        self.stop_server();
        let mut config = self.config.clone();
        config.listen = self.address;
        let (_, handle, thread) = run_server(&config, |prepared| prepared);
        self.handle = handle;
        self.thread = Some(thread);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop_server();
    }
}
