//! The interactive questions of `upsignon install`. Every question has a
//! default, so pressing Enter throughout gives a working install (embedded
//! SQLite, self-signed certificate, a first admin `admin@HOST` whose
//! one-time code install prints). Passwords inside URLs are asked on their
//! own, hidden. Nothing is written while questions are asked: Ctrl-C at any
//! point leaves the machine as it was.

use std::path::PathBuf;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Password, Select};
use upsignon_config::TlsMode;
use upsignon_config::url_password::{split_password, with_encoded_password, with_password};
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
    let (mut default, mut known_password) = answers
        .database_url
        .as_deref()
        .filter(|_| postgres_before)
        .map(split_password)
        .unwrap_or_else(|| {
            (
                "postgres://upsignon@127.0.0.1:5432/upsignon".to_string(),
                None,
            )
        });
    loop {
        let typed: String = Input::with_theme(theme)
            .with_prompt(
                "PostgreSQL URL without its password, postgres://USER@HOST:PORT/DATABASE (empty: use the embedded SQLite instead)",
            )
            .default(default.clone())
            .allow_empty(true)
            .interact_text()?;
        if typed.trim().is_empty() {
            answers.database_url = None;
            return Ok(());
        }
        let url = ask_url_password(theme, typed.trim(), &mut known_password)?;
        let checked = upsignon_config::DatabaseUrl::parse(&url)
            .map_err(|e| e.to_string())
            .and_then(|parsed| install::check_database(&parsed).map_err(|e| e.to_string()));
        match checked {
            Ok(latency) => {
                eprintln!("  connected ({} ms)", latency.as_millis());
                answers.database_url = Some(url);
                return Ok(());
            }
            Err(reason) => {
                eprintln!("  {reason}\n  Fix the URL or the password and try again.");
                default = split_password(&url).0;
            }
        }
    }
}

/// The password of `url`'s user, asked hidden (never echoed, never a
/// default shown), unless the URL was typed with one. Enter keeps
/// `known` (the current answer's), or means no password.
fn ask_url_password(
    theme: &ColorfulTheme,
    url: &str,
    known: &mut Option<String>,
) -> anyhow::Result<String> {
    let (bare, typed) = split_password(url);
    if let Some(typed) = typed {
        *known = Some(typed);
        return Ok(url.to_string());
    }
    let Some(user) = bare
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .map(|(user, _)| user.to_string())
    else {
        return Ok(bare);
    };
    let keep = match known {
        Some(_) => "Enter keeps the current one",
        None => "Enter for none",
    };
    let password = Password::with_theme(theme)
        .with_prompt(format!("Password of {user} (hidden; {keep})"))
        .allow_empty_password(true)
        .interact()?;
    if password.is_empty() {
        return Ok(match known {
            Some(encoded) => with_encoded_password(&bare, encoded),
            None => bare,
        });
    }
    let url = with_password(&bare, &password);
    *known = split_password(&url).1;
    Ok(url)
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
    let (mut default, mut known_password) = answers
        .smtp_url
        .as_deref()
        .map(split_password)
        .unwrap_or_default();
    loop {
        let typed: String = Input::with_theme(theme)
            .with_prompt(
                "SMTP URL without its password (smtps://USER@HOST:465 or smtp://USER@HOST:587)",
            )
            .with_initial_text(default.clone())
            .interact_text()?;
        let url = ask_url_password(theme, typed.trim(), &mut known_password)?;
        default = split_password(&url).0;
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
    let default = answers
        .admin_email
        .clone()
        .unwrap_or_else(|| default_admin_email(answers.public_url.as_deref()));
    let email: String = Input::with_theme(theme)
        .with_prompt("First admin's email, to sign in to the console with (empty: add one later)")
        .default(default)
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

/// `admin@` the public URL's host (made a domain when it is a bare host
/// name): pressing Enter gives an admin who can sign in with the code that
/// install prints.
fn default_admin_email(public_url: Option<&str>) -> String {
    let host = public_url
        .and_then(|url| url.split_once("://"))
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or_default())
        .filter(|host| !host.is_empty())
        .unwrap_or("localhost");
    let email = match host.contains('.') {
        true => format!("admin@{host}"),
        false => format!("admin@{host}.localdomain"),
    };
    match upsignon_domain::Email::parse(&email) {
        Ok(email) => email.as_str().to_string(),
        Err(_) => "admin@localhost.localdomain".to_string(),
    }
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
