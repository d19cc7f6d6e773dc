//! `upsignon-client`: a small command line on the reference client, for
//! trying a server by hand or from scripts. It keeps its device (id, secret
//! seed, session) in a state file, mode 600.
//!
//! ```text
//! upsignon-client --state dev.json enrol --server https://host:8443 --tenant acme --email me@acme.test --ca-file cert.pem
//! UPSIGNON_PASSWORD=... upsignon-client --state dev.json create-vault < items.json
//! UPSIGNON_PASSWORD=... upsignon-client --state dev.json show
//! UPSIGNON_PASSWORD=... upsignon-client --state dev.json write < items.json
//! ```

use std::io::{BufRead, Read, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use upsignon_client::crypto::{KdfParams, SharingKey};
use upsignon_client::{Device, TenantApi, Write};

/// The reference client of the UpSignOn PRO server, on the command line.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Where this device's id, secret seed and session are kept.
    #[arg(long, default_value = "upsignon-device.json")]
    state: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ask for access for this device; prompts for the emailed code.
    Enrol {
        #[arg(long)]
        server: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "upsignon-client")]
        name: String,
        /// PEM certificate to trust (a self-signed server's cert.pem).
        #[arg(long)]
        ca_file: Option<PathBuf>,
    },
    /// Create the user's vault from standard input (password in UPSIGNON_PASSWORD).
    CreateVault,
    /// Sign in and print the decrypted vault.
    Show,
    /// Sign in and replace the vault with standard input.
    Write,
}

#[derive(Serialize, Deserialize)]
struct State {
    server: String,
    tenant: String,
    email: String,
    device_id: String,
    device_seed: String,
    ca_file: Option<PathBuf>,
    sharing_secret: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("upsignon-client: {message}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Enrol {
            server,
            tenant,
            email,
            name,
            ca_file,
        } => {
            let api = api(&server, &tenant, ca_file.as_deref())?;
            let device = Device::new(api, &email, &name).map_err(|e| e.to_string())?;
            let status = device.request_access().await.map_err(|e| e.to_string())?;
            println!("access requested: {status}");
            if status == "MAIL_SENT" {
                print!("code from the email: ");
                std::io::stdout().flush().ok();
                let mut code = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut code)
                    .map_err(|e| e.to_string())?;
                device
                    .confirm_code(code.trim())
                    .await
                    .map_err(|e| e.to_string())?;
                println!("this device is authorised");
            }
            save(
                &cli.state,
                &State {
                    server,
                    tenant,
                    email,
                    device_id: device.uid.clone(),
                    device_seed: device.seed_b64(),
                    ca_file,
                    sharing_secret: None,
                },
            )
        }
        Command::CreateVault => {
            let mut state = load(&cli.state)?;
            let mut device = restore(&state)?;
            let sharing = SharingKey::generate();
            let kdf = KdfParams::recommended().map_err(|e| e.to_string())?;
            device
                .create_vault(&password()?, &kdf, &stdin()?, &sharing)
                .await
                .map_err(|e| e.to_string())?;
            state.sharing_secret = Some(sharing.secret().to_string());
            save(&cli.state, &state)?;
            println!("vault created (version 1)");
            Ok(())
        }
        Command::Show => {
            let mut device = restore(&load(&cli.state)?)?;
            let keys = device
                .sign_in(&password()?)
                .await
                .map_err(|e| e.to_string())?;
            let copy = device
                .read_vault(&keys, None)
                .await
                .map_err(|e| e.to_string())?;
            let copy = copy.ok_or("the server answered 304 to a first read")?;
            eprintln!("version {}", copy.version);
            std::io::stdout()
                .write_all(&copy.plaintext)
                .map_err(|e| e.to_string())
        }
        Command::Write => {
            let mut device = restore(&load(&cli.state)?)?;
            let keys = device
                .sign_in(&password()?)
                .await
                .map_err(|e| e.to_string())?;
            let current = device
                .read_vault(&keys, None)
                .await
                .map_err(|e| e.to_string())?;
            let version = current.map(|c| c.version).unwrap_or(1);
            match device
                .write_vault(&keys, version, &stdin()?)
                .await
                .map_err(|e| e.to_string())?
            {
                Write::Written { version } => println!("written: version {version}"),
                Write::Outdated { current } => {
                    return Err(format!(
                        "another device wrote version {current} meanwhile: run `show`, merge, and write again"
                    ));
                }
            }
            Ok(())
        }
    }
}

fn api(server: &str, tenant: &str, ca_file: Option<&Path>) -> Result<TenantApi, String> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca_file {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| format!("{} is not a PEM certificate: {e}", path.display()))?;
        builder = builder.add_root_certificate(cert);
    }
    let http = builder.build().map_err(|e| e.to_string())?;
    Ok(TenantApi::new(http, server, tenant))
}

fn restore(state: &State) -> Result<Device, String> {
    let api = api(&state.server, &state.tenant, state.ca_file.as_deref())?;
    Device::restore(
        api,
        &state.email,
        &state.device_id,
        &state.device_seed,
        None,
    )
    .map_err(|e| e.to_string())
}

fn password() -> Result<String, String> {
    std::env::var("UPSIGNON_PASSWORD")
        .map_err(|_| "set UPSIGNON_PASSWORD to the master password".to_string())
}

fn stdin() -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    std::io::stdin()
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    Ok(data)
}

fn load(path: &Path) -> Result<State, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e}; run `upsignon-client enrol` first",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a state file: {e}", path.display()))
}

fn save(path: &Path, state: &State) -> Result<(), String> {
    let text = serde_json::to_string_pretty(state).map_err(|e| e.to_string())?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| e.to_string())
}
