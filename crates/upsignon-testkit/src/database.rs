use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tempfile::TempDir;
use upsignon_config::DatabaseUrl;
use upsignon_store::Backend;

/// The PostgreSQL server tests create their databases on:
/// `UPSIGNON_TEST_PG_URL`, else `postgres://postgres@127.0.0.1:5432`.
pub fn postgres_admin_url() -> String {
    std::env::var("UPSIGNON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A database that belongs to one test and disappears with it.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    pub backend: Backend,
    /// Holds the SQLite file (and anything else the test puts there).
    pub dir: TempDir,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir");
        match backend {
            Backend::Sqlite => {
                let url = DatabaseUrl::sqlite(dir.path().join("upsignon.db"));
                Self {
                    url,
                    backend,
                    dir,
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("upsignon_test_{}", uuid::Uuid::new_v4().simple());
                admin_execute(&format!("CREATE DATABASE {name}"));
                let url = DatabaseUrl::parse(&format!("{}/{name}", postgres_admin_url()))
                    .expect("a postgres URL");
                Self {
                    url,
                    backend,
                    dir,
                    postgres_name: Some(name),
                }
            }
        }
    }

    /// The URL as a sysadmin would write it in `UPSIGNON_DATABASE_URL`.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(secret) => secret.expose().to_string(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name {
            admin_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn admin_execute(sql: &str) {
    let url = format!("{}/postgres", postgres_admin_url());
    let mut conn = PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!("tests need the PostgreSQL server at {url} ({e}); start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start`")
    });
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
