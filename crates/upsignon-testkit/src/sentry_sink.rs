//! A plain-HTTP listener on loopback that stands where a Sentry server
//! would: the server under test sends its error reports to the DSN this
//! gives, and tests read exactly the bytes that would have left the
//! machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct SentrySink {
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
}

impl SentrySink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Sentry sink");
        let address = listener.local_addr().expect("its address");
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &store);
                });
            }
        });
        SentrySink { address, received }
    }

    /// A DSN that sends to this sink (project 1).
    pub fn dsn(&self) -> String {
        format!("http://0123456789abcdef0123456789abcdef@{}/1", self.address)
    }

    /// Every request body received so far (Sentry envelopes), as text.
    pub fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for a body containing `needle`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(found) = self.received().into_iter().find(|b| b.contains(needle)) {
                return Some(found);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

/// Reads HTTP/1.1 requests with a Content-Length body on one connection
/// and answers each with 200 `{}`.
fn serve(stream: TcpStream, store: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length.min(16 * 1024 * 1024)];
        reader.read_exact(&mut body)?;
        store
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&body).into_owned());
        writer.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        )?;
    }
}
