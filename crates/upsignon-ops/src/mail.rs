//! Sending the server's mail over SMTP with lettre: TLS (`smtps://`) or
//! STARTTLS (`smtp://`, required), or plain SMTP to a relay on this
//! machine (`smtp://127.0.0.1:25?tls=none`, loopback only). Handlers reach
//! it through `upsignon_api::Mailer`.

use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};
use upsignon_api::{MailMessage, Mailer};
use upsignon_config::Config;

use crate::install::{InstallError, smtp_transport};

pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl SmtpMailer {
    /// The mailer of `config`, or `None` when `smtp_url` is not set.
    pub fn from_config(config: &Config) -> Result<Option<Self>, InstallError> {
        let (Some(url), Some(from)) = (&config.smtp_url, &config.smtp_from) else {
            return Ok(None);
        };
        let from = from.parse().map_err(|e| {
            InstallError::Smtp(format!("smtp_from '{from}' is not a mail address: {e}"))
        })?;
        Ok(Some(Self {
            transport: smtp_transport(url.expose())?,
            from,
        }))
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, message: &MailMessage) -> Result<(), String> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(&email)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
