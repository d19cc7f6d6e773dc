//! Outgoing mail as the handlers see it: a message and a sender. The ops
//! crate provides the SMTP sender (lettre); without SMTP there is none, and
//! the handlers say so to the app instead of failing silently.

/// One message, in plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub trait Mailer: Send + Sync {
    /// Sends `message`; the error is logged, never shown to a client.
    fn send(&self, message: &MailMessage) -> Result<(), String>;
}
