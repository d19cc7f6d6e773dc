//! PostgreSQL only: COPY both ways. A table's rows streamed by `COPY
//! (SELECT ...) TO STDOUT` and turned into the dump's JSON lines on the
//! client (the server sends rows while the client encodes the ones before,
//! and builds no JSON itself); a batch of restored rows written by `COPY
//! table (...) FROM STDIN`, the fastest way into PostgreSQL, as
//! `pg_restore` does. Values travel in COPY's text format, escaped here,
//! never as SQL. Works inside the caller's transaction.

use std::cell::RefCell;
use std::io::BufRead;

use diesel::PgConnection;
use diesel::pg::{CopyTarget, Pg};
use diesel::prelude::*;
use diesel::query_builder::AstPass;

use crate::StoreError;
use crate::dump::{Cell, ColumnKind};

thread_local! {
    /// The `SELECT` the next COPY of this thread reads: diesel names a COPY's
    /// source by type, and a dump's tables are known only at run time.
    static SOURCE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The COPY source of this thread: `(SOURCE)`.
struct RuntimeSelect;

/// The COPY target of this thread: `SOURCE`, a table and its columns.
struct RuntimeTable;

impl CopyTarget for RuntimeTable {
    type Table = crate::schema::tenants::table;
    type SqlType = diesel::sql_types::Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> diesel::QueryResult<()> {
        SOURCE.with(|source| pass.push_sql(&source.borrow()));
        Ok(())
    }
}

impl CopyTarget for RuntimeSelect {
    // Unused by a raw COPY TO; any table will do.
    type Table = crate::schema::tenants::table;
    type SqlType = diesel::sql_types::Text;

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> diesel::QueryResult<()> {
        SOURCE.with(|source| {
            pass.push_sql("(");
            pass.push_sql(&source.borrow());
            pass.push_sql(")");
        });
        Ok(())
    }
}

/// Calls `each` with every row of `table` as a JSON array (text) of
/// `columns`, in the table's physical order; returns the number of rows.
pub(crate) fn each_row<E: From<StoreError>>(
    conn: &mut PgConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    each: &mut dyn FnMut(&str) -> Result<(), E>,
) -> Result<u64, E> {
    let list: Vec<String> = columns.iter().map(|(c, _)| crate::dump::quote(c)).collect();
    let select = format!(
        "SELECT {} FROM {}",
        list.join(", "),
        crate::dump::quote(table)
    );
    SOURCE.with(|source| *source.borrow_mut() = select);
    let mut stream = diesel::copy_to(RuntimeSelect)
        .load_raw(conn)
        .map_err(StoreError::from)?;
    let mut raw = Vec::new();
    let mut line = String::new();
    let mut rows = 0;
    loop {
        raw.clear();
        let read = stream
            .read_until(b'\n', &mut raw)
            .map_err(|e| StoreError::from(diesel::result::Error::DeserializationError(e.into())))?;
        if read == 0 {
            break;
        }
        line.clear();
        to_json(&raw, columns, &mut line).map_err(|reason| {
            StoreError::from(diesel::result::Error::DeserializationError(
                format!("table {table}: {reason}").into(),
            ))
        })?;
        each(&line)?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes `rows` (cells in the order of `names`) into `table` with one
/// `COPY ... FROM STDIN`; returns the rows the server counted.
pub(crate) fn copy_in(
    conn: &mut PgConnection,
    table: &str,
    names: &[String],
    rows: Vec<Vec<Cell>>,
) -> Result<usize, StoreError> {
    let mut text = String::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            match cell {
                Cell::Null => text.push_str("\\N"),
                Cell::Bool(b) => text.push(if *b { 't' } else { 'f' }),
                Cell::Integer(n) => text.push_str(&n.to_string()),
                Cell::Text(t) => escape_into(&mut text, t),
            }
        }
        text.push('\n');
    }
    SOURCE.with(|source| {
        *source.borrow_mut() = format!("{} ({})", crate::dump::quote(table), names.join(", "))
    });
    let written = diesel::copy_from(crate::schema::tenants::table)
        .from_raw_data(RuntimeTable, |sink| {
            sink.write_all(text.as_bytes())
                .map_err(|e| diesel::result::Error::DeserializationError(e.into()))
        })
        .execute(conn)?;
    Ok(written)
}

/// `text` in COPY's text format: backslash, tab, line feed and carriage
/// return escaped.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// One line of COPY's text format (tab-separated, `\N` for null,
/// backslash escapes) as a JSON array.
fn to_json(raw: &[u8], columns: &[(String, ColumnKind)], out: &mut String) -> Result<(), String> {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let mut fields = raw.split(|b| *b == b'\t');
    out.push('[');
    for (i, (name, kind)) in columns.iter().enumerate() {
        let field = fields
            .next()
            .ok_or_else(|| format!("a row has no value for column {name}"))?;
        if i > 0 {
            out.push(',');
        }
        if field == b"\\N" {
            out.push_str("null");
            continue;
        }
        match kind {
            ColumnKind::Bool => out.push_str(match field {
                b"t" => "true",
                b"f" => "false",
                _ => return Err(format!("column {name} holds a boolean that is not t or f")),
            }),
            ColumnKind::Integer => {
                if field.is_empty() || !field.iter().all(|b| b.is_ascii_digit() || *b == b'-') {
                    return Err(format!("column {name} holds an integer that is not digits"));
                }
                out.push_str(std::str::from_utf8(field).unwrap_or("0"));
            }
            ColumnKind::Text => {
                let text = String::from_utf8(unescape(field))
                    .map_err(|_| format!("column {name} holds text that is not UTF-8"))?;
                push_json_string(out, &text);
            }
        }
    }
    if fields.next().is_some() {
        return Err("a row has more values than the table has columns".into());
    }
    out.push(']');
    Ok(())
}

/// COPY text's backslash escapes undone.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        i += 1;
        if b != b'\\' || i == field.len() {
            out.push(b);
            continue;
        }
        let next = field[i];
        i += 1;
        match next {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match field.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            b'x' if field.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut value = 0u32;
                for _ in 0..2 {
                    match field.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(escaped);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&text[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(raw: &str, kinds: &[ColumnKind]) -> serde_json::Value {
        let columns: Vec<(String, ColumnKind)> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("c{i}"), *k))
            .collect();
        let mut out = String::new();
        to_json(raw.as_bytes(), &columns, &mut out).unwrap();
        serde_json::from_str(&out).unwrap()
    }

    #[test]
    fn copy_text_becomes_the_same_json_values() {
        use ColumnKind::*;
        let value = json(
            "1\tt\t\\N\ta\\tb\\\\c\\nd\\re\\bf\\fg\\vh \"q\" é😀\x01\n",
            &[Integer, Bool, Text, Text],
        );
        assert_eq!(
            value,
            serde_json::json!([
                1,
                true,
                null,
                "a\tb\\c\nd\re\u{8}f\u{c}g\u{b}h \"q\" é😀\u{1}"
            ])
        );
        assert_eq!(
            json("-9223372036854775808\tf\n", &[Integer, Bool]),
            serde_json::json!([i64::MIN, false])
        );
        assert_eq!(
            json("\\101\\x42\t\n", &[Text, Text]),
            serde_json::json!(["AB", ""])
        );
    }

    #[test]
    fn escaped_text_reads_back_the_same() {
        let awkward = "tab\there\nline\r\\ back \\N é😀\u{1}";
        let mut line = String::new();
        escape_into(&mut line, awkward);
        assert!(!line.contains('\t') && !line.contains('\n'));
        assert_eq!(
            String::from_utf8(unescape(line.as_bytes())).unwrap(),
            awkward
        );
    }

    #[test]
    fn a_malformed_line_is_an_error_not_a_guess() {
        let columns = vec![("a".to_string(), ColumnKind::Integer)];
        let mut out = String::new();
        assert!(to_json(b"1\t2\n", &columns, &mut out).is_err());
        assert!(to_json(b"x\n", &columns, &mut out).is_err());
        let bools = vec![("b".to_string(), ColumnKind::Bool)];
        assert!(to_json(b"yes\n", &bools, &mut out).is_err());
    }
}
