//! Instance-wide values by name.

use diesel::prelude::*;

use super::schema::settings;
use super::{DbConn, DbResult};

pub fn get(conn: &mut DbConn, name: &str) -> DbResult<Option<String>> {
    Ok(settings::table.find(name).select(settings::value).first(conn).optional()?)
}

/// Stores `value` unless the setting exists; returns the value that is stored now.
pub fn get_or_insert(conn: &mut DbConn, name: &str, value: &str) -> DbResult<String> {
    if let Some(existing) = get(conn, name)? {
        return Ok(existing);
    }
    diesel::insert_into(settings::table).values((settings::name.eq(name), settings::value.eq(value))).execute(conn)?;
    Ok(value.to_string())
}

/// Stores `value`, replacing what was stored.
pub fn put(conn: &mut DbConn, name: &str, value: &str) -> DbResult<()> {
    let updated = diesel::update(settings::table.find(name)).set(settings::value.eq(value)).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table).values((settings::name.eq(name), settings::value.eq(value))).execute(conn)?;
    }
    Ok(())
}
