use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use crate::{AnyConnection, StoreError};

/// Arbitrary but fixed: the advisory lock every upsignon process takes before
/// changing the schema ("UPSIGN" in ASCII).
const SCHEMA_LOCK_KEY: i64 = 0x5550_5349_474E;

/// Runs `work` in one transaction that holds the database's write lock, so
/// that two processes starting together never both apply a migration:
/// PostgreSQL takes an advisory lock held until commit; SQLite begins with
/// `BEGIN IMMEDIATE`, which takes its single writer lock at once. `work` reads
/// the ledger inside the lock, so the second process sees what the first did.
pub(crate) fn locked_transaction<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(|conn| {
            conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})"))?;
            work(conn)
        }),
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let outcome = work(conn);
            let AnyConnection::Sqlite(inner) = conn else {
                unreachable!("the variant cannot change")
            };
            match outcome {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(inner)?;
                    Ok(value)
                }
                Err(error) => {
                    AnsiTransactionManager::rollback_transaction(inner)?;
                    Err(error)
                }
            }
        }
    }
}
