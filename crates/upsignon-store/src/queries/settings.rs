use diesel::prelude::*;

use crate::schema::server_settings;
use crate::{AnyConnection, StoreError};

pub fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(server_settings::table
        .filter(server_settings::name.eq(name))
        .select(server_settings::value)
        .first(conn)
        .optional()?)
}

/// Inserts or replaces the setting.
pub fn set(
    conn: &mut AnyConnection,
    name: &str,
    value: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        diesel::delete(server_settings::table.filter(server_settings::name.eq(name)))
            .execute(conn)?;
        diesel::insert_into(server_settings::table)
            .values((
                server_settings::name.eq(name),
                server_settings::value.eq(value),
                server_settings::updated_at.eq(now_ms),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn delete(conn: &mut AnyConnection, name: &str) -> Result<(), StoreError> {
    diesel::delete(server_settings::table.filter(server_settings::name.eq(name))).execute(conn)?;
    Ok(())
}
