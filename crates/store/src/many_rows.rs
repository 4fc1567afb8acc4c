//! Many rows (or keys) per statement: one round trip to the database for thousands of
//! values instead of one each.
//!
//! Placeholders of such statements are written by [`Placeholders`]: `?` on SQLite,
//! `$1, $2, …` on PostgreSQL. sqlx binds SQLite's numbered placeholders by looking each one's name up,
//! which SQLite does by scanning every name, so a statement's binding costs the square
//! of its parameters (measured: 76 % of a 500-row insert); anonymous `?` are bound in
//! order, at no such cost. Never mix the two in one statement: sqlx would bind the
//! first `?` to `$1`'s value.

use crate::Backend;
use sqlx::AnyConnection;

/// Bound values per statement, within SQLite's limit of 32,766 (PostgreSQL's: 65,535).
pub(crate) const MAX_VALUES: usize = 16_000;
/// Keys per lookup (`… IN (…)`).
pub(crate) const LOOKUP_KEYS: usize = 4096;

impl Backend {
    /// The backend a connection talks to.
    pub(crate) fn of_connection(conn: &AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// `$first, $first+1, …` for `count` values: an `IN (…)` list of a few values in a
/// statement numbered throughout (for thousands, see [`Placeholders`]).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes a statement's placeholders in the order its values are bound.
pub(crate) struct Placeholders {
    backend: Backend,
    written: usize,
}

impl Placeholders {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            backend,
            written: 0,
        }
    }

    /// The next placeholder.
    pub(crate) fn one(&mut self) -> String {
        self.written += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.written),
        }
    }

    /// `n` placeholders separated by commas, for an `IN (…)` list.
    pub(crate) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.one()).collect::<Vec<_>>().join(", ")
    }

    /// `rows` parenthesised groups of `columns` placeholders, for `VALUES …`.
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_placeholders_are_anonymous_and_postgres_ones_numbered() {
        let mut p = Placeholders::new(Backend::Sqlite);
        assert_eq!(
            format!("{} IN ({}) {}", p.one(), p.list(2), p.rows(2, 2)),
            "? IN (?, ?) (?, ?), (?, ?)"
        );
        let mut p = Placeholders::new(Backend::Postgres);
        assert_eq!(
            format!("{} IN ({}) {}", p.one(), p.list(2), p.rows(2, 2)),
            "$1 IN ($2, $3) ($4, $5), ($6, $7)"
        );
    }
}
