//! `upsignon-release`: the release manager's tool. It makes an ed25519 key
//! pair and packs a built `upsignon` binary into a signed archive that
//! `upsignon upgrade --from` accepts. It is not shipped to servers.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use upsignon_ops::release;

#[derive(Parser)]
#[command(name = "upsignon-release", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new key pair: SECRET (mode 0600, keep it offline) and PUBLIC
    /// (give it to servers in release_public_keys, or embed it).
    Keygen {
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        #[arg(long, value_name = "FILE")]
        public: PathBuf,
    },
    /// Pack BINARY into OUT_DIR/upsignon-<version>-<arch>-linux.tar.gz, signed.
    Pack {
        #[arg(long, value_name = "FILE")]
        binary: PathBuf,
        /// The secret key file written by `keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Keygen { secret, public } => {
            if secret.exists() {
                bail!("{} exists: refusing to replace a key", secret.display());
            }
            let pair = release::generate_key_pair()?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&secret)
                .with_context(|| format!("cannot create {}", secret.display()))?;
            writeln!(file, "{}", pair.secret_hex)?;
            std::fs::write(&public, format!("{}\n", pair.public_hex))?;
            println!(
                "secret key: {} (keep it offline)\npublic key: {}",
                secret.display(),
                pair.public_hex
            );
        }
        Command::Pack {
            binary,
            key,
            out_dir,
        } => {
            let output = std::process::Command::new(&binary)
                .arg("--version")
                .output()
                .with_context(|| format!("cannot run {}", binary.display()))?;
            let text = String::from_utf8_lossy(&output.stdout);
            let Some(version) = text.trim().strip_prefix("upsignon ") else {
                bail!(
                    "{} --version printed {text:?}: not an upsignon binary",
                    binary.display()
                );
            };
            let secret = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let archive = release::pack(&binary, version, secret.trim(), &out_dir)?;
            println!("{}", archive.display());
        }
    }
    Ok(())
}
