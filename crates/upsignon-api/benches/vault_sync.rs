//! Vault sync throughput: the reference client reading and writing its
//! vault (`get-vault-data` then `update-vault-data`, 4 KiB of ciphertext)
//! against the real server, next to the same client calling a bare
//! actix-web handler over the same TLS in the same run (the baseline).
//! Prints requests per second and the ratio; asserts nothing.
//!
//! `cargo bench -p upsignon-api --bench vault_sync [-- SECONDS]`

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use upsignon_client::crypto::{KdfParams, SharingKey, VaultKeys};
use upsignon_client::{Device, TenantApi, Write};
use upsignon_config::{Config, Secret};
use upsignon_store::queries::{tenants, users};
use upsignon_testkit::{Backend, SmtpSink, TestApp, spawn_app_with};

const CONCURRENCY: usize = 8;

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let window = Duration::from_secs(seconds);
    actix_web::rt::System::new().block_on(async move {
        let (baseline_url, client) = bare_server();
        let one = run_bare(&client, &baseline_url, 1, window).await;
        let many = run_bare(&client, &baseline_url, CONCURRENCY, window).await;
        println!("baseline: bare actix-web handler over TLS: {one:.0} req/s (1 client), {many:.0} req/s ({CONCURRENCY} clients)");
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mail = SmtpSink::start();
            let app = server(backend, &mail);
            let devices = enrol(&app, &mail, CONCURRENCY).await;
            let ours_one = run_sync(&devices[..1], window).await;
            let ours_many = run_sync(&devices, window).await;
            println!(
                "{backend:?}: vault get+update: {ours_one:.0} req/s (1 client, {:.2} of baseline), {ours_many:.0} req/s ({CONCURRENCY} clients, {:.2} of baseline)",
                ours_one / one,
                ours_many / many
            );
        }
    });
}

/// A bare handler on the same TLS set-up, in its own thread and runtime.
fn bare_server() -> (String, reqwest::Client) {
    let dir = tempfile::tempdir().unwrap().keep();
    let config = Config {
        state_dir: dir.clone(),
        ..Config::default()
    };
    let tls = upsignon_api::tls::server_config(&config).unwrap().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(|| {
                App::new().route(
                    "/x",
                    web::post().to(|| async { HttpResponse::Ok().json(json!({ "version": 1 })) }),
                )
            })
            .workers(1)
            .listen_rustls_0_23(listener, tls)
            .unwrap()
            .run()
            .await
            .unwrap();
        })
    });
    (format!("https://{address}/x"), client_trusting(&dir))
}

/// The same client for both servers: HTTP/1.1 with keep-alive (one
/// connection per simulated app), trusting the server's certificate.
fn client_trusting(state_dir: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(upsignon_api::tls::self_signed_paths(state_dir).0).unwrap();
    reqwest::Client::builder()
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

async fn run_bare(client: &reqwest::Client, url: &str, clients: usize, window: Duration) -> f64 {
    let deadline = Instant::now() + window;
    let tasks = (0..clients).map(|_| async move {
        let mut count = 0u64;
        while Instant::now() < deadline {
            let response = client.post(url).json(&json!({})).send().await.unwrap();
            response.bytes().await.unwrap();
            count += 1;
        }
        count
    });
    let total: u64 = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .sum();
    total as f64 / window.as_secs_f64()
}

fn server(backend: Backend, mail: &SmtpSink) -> TestApp {
    let url = mail.url();
    let app = spawn_app_with(backend, |config| {
        config.smtp_url = Some(Secret::new(url));
        config.smtp_from = Some("upsignon@example.com".to_string());
        config.workers = 1;
        config.database_pool_size = 8;
        config.log_level = "warn".to_string();
    });
    let mut conn = app.store.connection().unwrap();
    tenants::insert(
        &mut conn,
        &tenants::TenantRow {
            id: "t-bench".to_string(),
            slug: "bench".to_string(),
            name: "Bench".to_string(),
            settings: "{}".to_string(),
            stopped: false,
            new_url: None,
            created_at: 1,
        },
    )
    .unwrap();
    users::allow_pattern(&mut conn, "a-bench", "t-bench", "*@bench.test", 1).unwrap();
    app
}

/// One enrolled device with a vault per simulated client.
async fn enrol(app: &TestApp, mail: &SmtpSink, count: usize) -> Vec<(Device, VaultKeys)> {
    let mut devices = Vec::new();
    for i in 0..count {
        let email = format!("user{i}@bench.test");
        let api = TenantApi::new(
            client_trusting(&app.config.state_dir),
            &app.base_url,
            "bench",
        );
        let mut device = Device::new(api, &email, "Bench").unwrap();
        device.request_access().await.unwrap();
        let subject = mail.wait_for(&email).data;
        let line = subject.lines().find(|l| l.starts_with("Subject:")).unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        let code = words[words.iter().position(|w| *w == "code").unwrap() + 1];
        device.confirm_code(code).await.unwrap();
        let keys = device
            .create_vault(
                "bench password",
                &KdfParams::with_cost(1024, 1).unwrap(),
                &[b'x'; 4096],
                &SharingKey::generate(),
            )
            .await
            .unwrap();
        devices.push((device, keys));
    }
    devices
}

/// Each client reads its vault and writes it back, as fast as it can.
async fn run_sync(devices: &[(Device, VaultKeys)], window: Duration) -> f64 {
    let deadline = Instant::now() + window;
    let tasks = devices.iter().map(|(device, keys)| async move {
        let mut count = 0u64;
        while Instant::now() < deadline {
            let copy = device.read_vault(keys, None).await.unwrap().unwrap();
            match device
                .write_vault(keys, copy.version, &copy.plaintext)
                .await
                .unwrap()
            {
                Write::Written { .. } => {}
                Write::Outdated { .. } => panic!("one writer per vault never conflicts"),
            }
            count += 2;
        }
        count
    });
    let total: u64 = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .sum();
    total as f64 / window.as_secs_f64()
}
