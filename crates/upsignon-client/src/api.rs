//! The client API over HTTPS: `POST {server}/{tenant}/api2/{route}` with
//! JSON, the session as a bearer token. Answers come back as a status and
//! a JSON body; refusals keep the server's stable `error` code.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server: {0}")]
    Http(String),
    #[error("the server refused with {status} {code}: {body}")]
    Refused {
        status: u16,
        code: String,
        body: Value,
    },
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The server's `error` code, when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// One answer: status, body, ETag.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub etag: Option<String>,
}

/// The API of one tenant on one server.
#[derive(Clone)]
pub struct TenantApi {
    http: reqwest::Client,
    base: String,
}

impl TenantApi {
    /// `server` is the server's URL (`https://host:port`), `tenant` the
    /// tenant's name in URLs. `http` decides which certificates are trusted.
    pub fn new(http: reqwest::Client, server: &str, tenant: &str) -> Self {
        Self {
            http,
            base: format!("{}/{tenant}/api2", server.trim_end_matches('/')),
        }
    }

    /// Posts `body` to `route`; any answer (even 4xx) is returned as is.
    pub async fn call(
        &self,
        route: &str,
        body: &Value,
        session: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let mut request = self.http.post(format!("{}/{route}", self.base)).json(body);
        if let Some(token) = session {
            request = request.bearer_auth(token);
        }
        if let Some(tag) = if_none_match {
            request = request.header("If-None-Match", tag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|e| ClientError::Protocol(format!("{e}: {text}")))?
        };
        Ok(Answer { status, body, etag })
    }

    /// Like [`call`](Self::call), and anything but 2xx or 304 is an error.
    pub async fn expect_ok(
        &self,
        route: &str,
        body: &Value,
        session: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let answer = self.call(route, body, session, None).await?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(refused(answer))
        }
    }
}

pub(crate) fn refused(answer: Answer) -> ClientError {
    ClientError::Refused {
        status: answer.status,
        code: answer.body["error"].as_str().unwrap_or("").to_string(),
        body: answer.body,
    }
}

/// A string field of an answer.
pub(crate) fn text(body: &Value, field: &str) -> Result<String, ClientError> {
    body[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ClientError::Protocol(format!("no {field} in {body}")))
}
