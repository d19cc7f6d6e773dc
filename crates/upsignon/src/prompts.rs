//! The interactive questions of `upsignon install`. Every question has a
//! default, so pressing Enter throughout gives a working install (embedded
//! SQLite, self-signed certificate). Nothing is written while questions are
//! asked: Ctrl-C at any point leaves the machine as it was.

use std::path::PathBuf;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};
use upsignon_config::TlsMode;
use upsignon_ops::install::{self, Answers, Layout, Settings};

const SENTRY_NOTE: &str = "Error reports go to the Sentry server you name, outside this machine; \
emails, IP addresses and request bodies are removed first.";

/// Asks the questions with `initial` as defaults. `None`: the sysadmin chose
/// to leave an existing install as it is.
pub fn ask(initial: Answers, layout: &Layout, existing: bool) -> anyhow::Result<Option<Settings>> {
    let theme = ColorfulTheme::default();
    if existing {
        let choice = Select::with_theme(&theme)
            .with_prompt(format!(
                "An install exists ({}). What now?",
                layout.config_file.display()
            ))
            .items([
                "Repair: keep its answers, check and restart everything",
                "Reconfigure: answer the questions again (current answers as defaults)",
                "Quit without changing anything",
            ])
            .default(0)
            .interact()?;
        match choice {
            0 => return Ok(Some(initial.resolve(layout)?)),
            2 => return Ok(None),
            _ => {}
        }
    }
    let mut answers = initial;
    ask_public_url(&theme, &mut answers, layout)?;
    ask_database(&theme, &mut answers, layout)?;
    ask_tls(&theme, &mut answers)?;
    ask_smtp(&theme, &mut answers)?;
    ask_admin(&theme, &mut answers)?;
    ask_backups(&theme, &mut answers, layout)?;
    ask_sentry(&theme, &mut answers)?;
    let settings = answers.resolve(layout)?;
    let go = Confirm::with_theme(&theme)
        .with_prompt(format!(
            "Write {} and start the server?",
            layout.config_file.display()
        ))
        .default(true)
        .interact()?;
    Ok(go.then_some(settings))
}

fn ask_public_url(
    theme: &ColorfulTheme,
    answers: &mut Answers,
    layout: &Layout,
) -> anyhow::Result<()> {
    let default = match &answers.public_url {
        Some(url) => url.clone(),
        None => Answers { ..answers.clone() }.resolve(layout)?.public_url,
    };
    let url: String = Input::with_theme(theme)
        .with_prompt("Public URL (the address users and apps reach)")
        .default(default)
        .validate_with(|text: &String| {
            if text.starts_with("https://") || text.starts_with("http://") {
                Ok(())
            } else {
                Err("start with https://, for example https://passwords.example.com")
            }
        })
        .interact_text()?;
    answers.public_url = Some(url);
    Ok(())
}

fn ask_database(
    theme: &ColorfulTheme,
    answers: &mut Answers,
    layout: &Layout,
) -> anyhow::Result<()> {
    let postgres_before = answers
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres"));
    let embedded = format!(
        "Embedded SQLite in {} (nothing else to install)",
        layout.state_dir.display()
    );
    let choice = Select::with_theme(theme)
        .with_prompt("Database")
        .items([embedded.as_str(), "PostgreSQL (production): give its URL"])
        .default(usize::from(postgres_before))
        .interact()?;
    if choice == 0 {
        answers.database_url = None;
        return Ok(());
    }
    let mut default = answers
        .database_url
        .clone()
        .filter(|_| postgres_before)
        .unwrap_or_else(|| "postgres://upsignon:PASSWORD@127.0.0.1:5432/upsignon".to_string());
    loop {
        let url: String = Input::with_theme(theme)
            .with_prompt("PostgreSQL URL (empty: use the embedded SQLite instead)")
            .default(default.clone())
            .allow_empty(true)
            .interact_text()?;
        if url.trim().is_empty() {
            answers.database_url = None;
            return Ok(());
        }
        let checked = upsignon_config::DatabaseUrl::parse(url.trim())
            .map_err(|e| e.to_string())
            .and_then(|parsed| install::check_database(&parsed).map_err(|e| e.to_string()));
        match checked {
            Ok(latency) => {
                eprintln!("  connected ({} ms)", latency.as_millis());
                answers.database_url = Some(url.trim().to_string());
                return Ok(());
            }
            Err(reason) => {
                eprintln!("  {reason}\n  Fix the URL and try again.");
                default = url;
            }
        }
    }
}

fn ask_tls(theme: &ColorfulTheme, answers: &mut Answers) -> anyhow::Result<()> {
    let current = match answers.tls_mode {
        Some(TlsMode::Files) => 1,
        Some(TlsMode::None) => 2,
        _ => 0,
    };
    let choice = Select::with_theme(theme)
        .with_prompt("TLS certificate")
        .items([
            "Generate a self-signed certificate (apps must be told to trust it)",
            "Use my certificate chain and key files",
            "None: plain HTTP on 127.0.0.1 behind my TLS reverse proxy",
        ])
        .default(current)
        .interact()?;
    answers.tls_mode = Some([TlsMode::SelfSigned, TlsMode::Files, TlsMode::None][choice]);
    if choice == 1 {
        loop {
            let cert = ask_path(
                theme,
                "Certificate chain (PEM, server certificate first)",
                &answers.tls_cert,
            )?;
            let key = ask_path(theme, "Private key (PEM, chmod 600)", &answers.tls_key)?;
            answers.tls_cert = Some(cert);
            answers.tls_key = Some(key);
            match answers
                .clone()
                .resolve(&Layout::user())
                .map_err(|e| e.to_string())
                .and_then(|s| install::check_tls_files(&s).map_err(|e| e.to_string()))
            {
                Ok(()) => break,
                Err(reason) => eprintln!("  {reason}\n  Try again."),
            }
        }
    }
    if choice == 2 {
        let port = answers
            .listen
            .map(|l| l.port())
            .unwrap_or(install::DEFAULT_PORT);
        answers.listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Ok(())
}

fn ask_smtp(theme: &ColorfulTheme, answers: &mut Answers) -> anyhow::Result<()> {
    let wanted = Confirm::with_theme(theme)
        .with_prompt("Send mail through an SMTP server? (otherwise device codes wait for an admin in the console)")
        .default(answers.smtp_url.is_some())
        .interact()?;
    if !wanted {
        answers.smtp_url = None;
        answers.smtp_from = None;
        return Ok(());
    }
    loop {
        let url: String = Input::with_theme(theme)
            .with_prompt("SMTP URL (smtps://USER:PASSWORD@HOST:465 or smtp://...:587)")
            .with_initial_text(answers.smtp_url.clone().unwrap_or_default())
            .interact_text()?;
        let from: String = Input::with_theme(theme)
            .with_prompt("Sender address")
            .with_initial_text(answers.smtp_from.clone().unwrap_or_default())
            .interact_text()?;
        answers.smtp_url = Some(url.clone());
        answers.smtp_from = Some(from);
        match install::check_smtp(&upsignon_config::Secret::new(url)) {
            Ok(()) => {
                eprintln!("  the SMTP server answered");
                return Ok(());
            }
            Err(reason) => eprintln!("  {reason}\n  Try again."),
        }
    }
}

fn ask_admin(theme: &ColorfulTheme, answers: &mut Answers) -> anyhow::Result<()> {
    let email: String = Input::with_theme(theme)
        .with_prompt("First admin's email (empty: add one later)")
        .default(answers.admin_email.clone().unwrap_or_default())
        .show_default(answers.admin_email.is_some())
        .allow_empty(true)
        .validate_with(|text: &String| {
            if text.is_empty() || upsignon_domain::Email::parse(text).is_ok() {
                Ok(())
            } else {
                Err("an address such as it@example.com, or empty")
            }
        })
        .interact_text()?;
    answers.admin_email = Some(email).filter(|e| !e.is_empty());
    Ok(())
}

fn ask_backups(
    theme: &ColorfulTheme,
    answers: &mut Answers,
    layout: &Layout,
) -> anyhow::Result<()> {
    let dir = answers
        .backup_dir
        .clone()
        .unwrap_or_else(|| layout.backup_dir.clone());
    answers.backup_dir = Some(ask_path(theme, "Backup directory", &Some(dir))?);
    let key = answers
        .backup_key_file
        .clone()
        .unwrap_or_else(|| layout.backup_key_file.clone());
    answers.backup_key_file = Some(ask_path(
        theme,
        "Backup key file (created when missing; keep a copy elsewhere)",
        &Some(key),
    )?);
    Ok(())
}

fn ask_sentry(theme: &ColorfulTheme, answers: &mut Answers) -> anyhow::Result<()> {
    eprintln!("{SENTRY_NOTE}");
    let wanted = Confirm::with_theme(theme)
        .with_prompt("Send error reports to Sentry?")
        .default(answers.sentry_dsn.is_some())
        .interact()?;
    answers.sentry_dsn = if wanted {
        let dsn: String = Input::with_theme(theme)
            .with_prompt("Sentry DSN")
            .with_initial_text(answers.sentry_dsn.clone().unwrap_or_default())
            .interact_text()?;
        Some(dsn)
    } else {
        None
    };
    Ok(())
}

fn ask_path(
    theme: &ColorfulTheme,
    prompt: &str,
    current: &Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let mut input = Input::<String>::with_theme(theme).with_prompt(prompt);
    if let Some(path) = current {
        input = input.default(path.display().to_string());
    }
    Ok(PathBuf::from(input.interact_text()?))
}
