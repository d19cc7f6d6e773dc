//! A real headless Chromium driven over the W3C WebDriver protocol through
//! Debian's `chromedriver`, for the console's browser tests. A few blocking
//! calls (navigate, find, type, click, read, screenshot) are all the tests
//! need; each browser gets a fresh profile and its own driver process on a
//! loopback port, both removed on drop.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C key for the id of a found element.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(10);

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Whether Chromium and its driver are installed (`.ci/run` installs them).
    pub fn available() -> bool {
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()
    }

    /// Starts a driver and a headless browser window of `width` x `height`.
    pub fn launch(width: u32, height: u32) -> Browser {
        assert!(
            Self::available(),
            "chromium and chromedriver are missing: apt-get install -y chromium chromium-driver"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a browser profile dir");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a WebDriver client");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_ready(&http, &base);
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .and_then(|r| r.json())
            .expect("create a browser session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_string();
        let browser = Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        };
        browser.set_size(width, height);
        browser
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method, &url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let answer: Value = request
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
    }

    /// Sets the window's outer size (the page is close to it when headless).
    pub fn set_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }));
    }

    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    pub fn current_url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_string()
    }

    /// The page's HTML as the browser has it now.
    pub fn source(&self) -> String {
        self.get("/source").as_str().unwrap_or_default().to_string()
    }

    /// The element matching `css`, waiting up to ten seconds for it.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let answer: Value = self
                .http
                .post(&url)
                .json(&json!({ "using": "css selector", "value": css }))
                .send()
                .and_then(|r| r.json())
                .expect("WebDriver find");
            if let Some(id) = answer["value"][ELEMENT_KEY].as_str() {
                return id.to_string();
            }
            if Instant::now() > deadline {
                panic!(
                    "no element matches {css} on {}:\n{}",
                    self.current_url(),
                    self.source()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits up to ten seconds for `check` to hold (a page loaded after a
    /// click, a row gone); panics with `what` and the page otherwise.
    pub fn wait_for(&self, what: &str, check: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !check(self) {
            if Instant::now() > deadline {
                panic!(
                    "waited in vain for {what} on {}:\n{}",
                    self.current_url(),
                    self.source()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether an element matches `css` now (no waiting).
    pub fn has(&self, css: &str) -> bool {
        let found = self.post(
            "/elements",
            json!({ "using": "css selector", "value": css }),
        );
        found.as_array().is_some_and(|a| !a.is_empty())
    }

    /// Types `text` into the field matching `css`, after clearing it.
    pub fn fill(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.post(&format!("/element/{id}/clear"), json!({}));
        self.post(&format!("/element/{id}/value"), json!({ "text": text }));
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.post(&format!("/element/{id}/click"), json!({}));
    }

    /// The visible text of the element matching `css`.
    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.get(&format!("/element/{id}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css);
        self.get(&format!("/element/{id}/attribute/{name}"))
            .as_str()
            .map(str::to_string)
    }

    pub fn is_selected(&self, css: &str) -> bool {
        let id = self.find(css);
        self.get(&format!("/element/{id}/selected"))
            .as_bool()
            .unwrap_or(false)
    }

    /// The value of the browser's cookie `name` (HttpOnly ones included).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = format!("{}/session/{}/cookie/{name}", self.base, self.session);
        let answer: Value = self.http.get(&url).send().ok()?.json().ok()?;
        answer["value"]["value"].as_str().map(str::to_string)
    }

    pub fn delete_cookies(&self) {
        self.call(reqwest::Method::DELETE, "/cookie", None);
    }

    /// Saves a PNG of the whole visible page.
    pub fn screenshot(&self, path: &Path) {
        let png = self.get("/screenshot");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }
}

fn wait_until_ready(http: &reqwest::blocking::Client, base: &str) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let ready = http
            .get(format!("{base}/status"))
            .send()
            .and_then(|r| r.json::<Value>())
            .is_ok_and(|v| v["value"]["ready"] == json!(true));
        if ready {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not become ready within {WAIT:?}");
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
