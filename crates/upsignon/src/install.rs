//! `upsignon install` on the command line: gather the answers (flags and
//! variables, answers file, earlier install, prompts), then let
//! `upsignon_ops::install` plan and do the work, printing each step.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use upsignon_config::TlsMode;
use upsignon_ops::install::{self, Answers, Describe, Layout, Request, StartMode};

use crate::cli::{InstallArgs, StartArg};
use crate::prompts;

pub fn run(config_flag: Option<&Path>, args: &InstallArgs) -> anyhow::Result<ExitCode> {
    let mut layout = Layout::detect(args.prefix.as_deref());
    if let Some(path) = config_flag {
        layout = layout.with_config_file(path.to_path_buf());
    }
    let existing = install::find_existing(&layout.config_file);
    if let Some(state_dir) = existing.as_ref().and_then(|e| e.state_dir.clone()) {
        layout.state_dir = state_dir;
    }
    let mut answers = answers_from_flags(args)?;
    if let Some(file) = &args.answers {
        answers = answers.or(Answers::from_file(file)?);
    }
    if let Some(earlier) = existing.as_ref().and_then(|e| e.answers.clone()) {
        answers = answers.or(earlier);
    }
    let interactive = !args.non_interactive && std::io::stdin().is_terminal();
    let settings = if interactive {
        match prompts::ask(answers, &layout, existing.is_some())? {
            Some(settings) => settings,
            None => {
                println!("Nothing was changed.");
                return Ok(ExitCode::SUCCESS);
            }
        }
    } else {
        let settings = answers.resolve(&layout)?;
        if !args.dry_run {
            install::preflight(&settings)?;
        }
        settings
    };
    let request = Request {
        layout,
        settings,
        start: start_mode(args.start),
        exe: std::env::current_exe().context("cannot find this program's own path")?,
        ready_timeout: Duration::from_secs(args.ready_timeout),
    };
    let actions = install::plan(&request, existing.as_ref().map(|e| e.text.as_str()));
    if args.dry_run {
        println!("Dry run: nothing is written. An install would:");
        for action in &actions {
            println!(
                "- {}",
                Describe {
                    action,
                    request: &request
                }
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if existing.is_some() {
        println!(
            "Repairing the install at {} (database and keys are kept).",
            request.layout.config_file.display()
        );
    }
    let report = install::execute(&request, &actions, &mut |line| println!("  ✔ {line}"))?;
    println!();
    print!("{report}");
    println!("Install finished in {:.1} s.", report.elapsed.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn start_mode(arg: StartArg) -> StartMode {
    match arg {
        StartArg::Auto => StartMode::Auto,
        StartArg::Systemd => StartMode::Systemd,
        StartArg::Background => StartMode::Background,
        StartArg::No => StartMode::No,
    }
}

fn answers_from_flags(args: &InstallArgs) -> anyhow::Result<Answers> {
    let tls_mode = match args.tls_mode.as_deref() {
        None => None,
        Some("self-signed") => Some(TlsMode::SelfSigned),
        Some("files") => Some(TlsMode::Files),
        Some("none") => Some(TlsMode::None),
        Some(other) => anyhow::bail!("--tls-mode {other}: use self-signed, files or none"),
    };
    Ok(Answers {
        public_url: args.public_url.clone(),
        database_url: args.database_url.clone(),
        listen: args.listen,
        tls_mode,
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        smtp_url: args.smtp_url.clone(),
        smtp_from: args.smtp_from.clone(),
        admin_email: args.admin_email.clone(),
        tenant_slug: args.tenant_slug.clone(),
        tenant_name: args.tenant_name.clone(),
        backup_dir: args.backup_dir.clone(),
        backup_key_file: args.backup_key_file.clone(),
        sentry_dsn: args.sentry_dsn.clone(),
    })
}
