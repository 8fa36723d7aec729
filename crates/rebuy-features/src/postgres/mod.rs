//! A PostgreSQL source: the cleaning rules and the feature SQL run in the database,
//! and only small results (one row per customer, counts, days) come back.
//!
//! The clean lines become the session's temporary table `lines`, with the columns of
//! [`rebuy_data::Transactions::schema`] (text instead of interned keys), so the very
//! SQL the embedded engine runs ([`crate::features`], labels, date range, months) runs
//! here unchanged. The cleaning SQL is shared with the Ballista engine
//! ([`crate::pushdown`]); the one adaptation of results is in [`query`]: columns of
//! type `numeric` are read as `double precision`.
//!
//! Plain TCP, a unix socket, or TLS ([`tls`]: libpq's `sslmode` and `sslrootcert`);
//! the password from the URL, `PGPASSWORD` or a password file ([`password`]).

mod password;
pub mod tls;

use crate::pushdown::{
    self, ColumnKind, Dialect, LINES_SQL, SourceColumn, quote_identifier, source_sql, typed_columns,
};
use crate::{Error, Result};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use rebuy_data::quality::InputReport;
use rebuy_data::schema::ColumnMap;
use rebuy_data::{CleaningRules, ColumnMapping, QualityReport};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tls::TlsSettings;
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::{Client, NoTls, Row};

/// Connection attempts give up after this long unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Every statement is cancelled by the server after this long unless the URL sets
/// `statement_timeout` (seconds).
pub(crate) const STATEMENT_TIMEOUT_SECONDS: u64 = 600;

/// Where the transaction lines are: a table, or the result of a query.
#[derive(Debug, Clone)]
pub enum Relation {
    Table(String),
    Query(String),
}

/// A `postgres://` URL (rebuy's own parameters `table` and `statement_timeout` taken
/// out) and the relation holding the lines.
#[derive(Debug, Clone)]
pub struct PostgresSource {
    config: tokio_postgres::Config,
    relation: Relation,
    statement_timeout_seconds: u64,
    /// None: `sslmode=disable`. Made while parsing, so a missing CA file is bad input
    /// before any connection.
    tls: Option<rustls::ClientConfig>,
}

impl PostgresSource {
    /// Parses `postgres://user[:password]@host[:port]/db?table=NAME` (or, with `query`,
    /// a URL without `table` whose lines are the query's result).
    pub fn parse(url: &str, query: Option<&str>) -> Result<Self> {
        let (base, parameters) = url.split_once('?').unwrap_or((url, ""));
        let mut table = None;
        let mut statement_timeout_seconds = STATEMENT_TIMEOUT_SECONDS;
        let (mut sslmode, mut sslrootcert, mut passfile) = (None, None, None);
        let mut passed_on = Vec::new();
        for pair in parameters.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("table", name)) => table = Some(name.to_string()),
                Some(("sslmode", mode)) => sslmode = Some(mode),
                Some(("sslrootcert", file)) => sslrootcert = Some(file),
                Some(("passfile", file)) => passfile = Some(Path::new(file)),
                Some(("statement_timeout", seconds)) => {
                    statement_timeout_seconds = seconds.parse().map_err(|_| {
                        Error::Invalid(format!(
                            "statement_timeout={seconds}: expected a number of seconds"
                        ))
                    })?;
                }
                _ => passed_on.push(pair),
            }
        }
        let relation = match (table, query) {
            (Some(_), Some(_)) => {
                return Err(Error::Invalid(
                    "give either ?table=NAME in the URL or --query, not both".into(),
                ));
            }
            (Some(name), None) if !name.trim().is_empty() => Relation::Table(name),
            (None, Some(sql)) if !sql.trim().is_empty() => Relation::Query(sql.to_string()),
            _ => {
                return Err(Error::Invalid(format!(
                    "{}: name the table of transaction lines with ?table=NAME, or give --query 'SELECT ...'",
                    redact(base)
                )));
            }
        };
        let url = if passed_on.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", passed_on.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| Error::Invalid(format!("{}: not a PostgreSQL URL: {e}", redact(base))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = TlsSettings::parse(sslmode, sslrootcert)?;
        config.ssl_mode(tls.mode);
        let tls = match tls.mode {
            tokio_postgres::config::SslMode::Disable => None,
            _ => Some(tls.client_config()?),
        };
        let mut source = PostgresSource {
            config,
            relation,
            statement_timeout_seconds,
            tls,
        };
        if source.config.get_password().is_none() {
            let found = password::find(&source.password_target(), passfile, |name| {
                std::env::var(name).ok()
            })?;
            if let Some(found) = found {
                source.config.password(found);
            }
        }
        Ok(source)
    }

    /// The host, port, database and user a password file's line must match.
    fn password_target(&self) -> password::Target<'_> {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.as_str(),
            _ => "localhost",
        };
        let user = self.config.get_user().unwrap_or_default();
        password::Target {
            host,
            port: self.config.get_ports().first().copied().unwrap_or(5432),
            database: self.config.get_dbname().unwrap_or(user),
            user,
        }
    }

    /// `postgres://user@host:port/db` and the table or `query`, without the password.
    pub fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or_default();
        let database = self.config.get_dbname().unwrap_or(user);
        let what = match &self.relation {
            Relation::Table(name) => format!("table {name}"),
            Relation::Query(_) => "query".to_string(),
        };
        format!("postgres://{user}@{host}:{port}/{database} {what}")
    }

    /// The SQL whose rows are the transaction lines.
    pub fn relation_sql(&self) -> String {
        match &self.relation {
            Relation::Table(name) => format!(
                "SELECT * FROM {}",
                name.split('.')
                    .map(quote_identifier)
                    .collect::<Vec<_>>()
                    .join(".")
            ),
            Relation::Query(sql) => sql.trim().trim_end_matches(';').to_string(),
        }
    }

    /// Connects, applies the cleaning rules into the temporary table `lines`, and
    /// returns the session with the quality report (its counts computed in SQL).
    pub(crate) async fn open(
        &self,
        rules: &CleaningRules,
        mapping: &ColumnMapping,
    ) -> Result<(Client, QualityReport)> {
        let cannot_connect =
            |e| database_error(&format!("cannot connect to {}", self.describe()), e);
        // Connection errors surface on the client's next call.
        let client = match &self.tls {
            None => {
                let (client, connection) =
                    self.config.connect(NoTls).await.map_err(cannot_connect)?;
                tokio::spawn(async move { connection.await.ok() });
                client
            }
            Some(tls) => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone());
                let (client, connection) =
                    self.config.connect(tls).await.map_err(cannot_connect)?;
                tokio::spawn(async move { connection.await.ok() });
                client
            }
        };
        client
            .batch_execute(&format!(
                "SET statement_timeout = '{}s'; SET TimeZone = 'UTC'",
                self.statement_timeout_seconds
            ))
            .await
            .map_err(|e| database_error("session setup", e))?;
        let source = self.relation_sql();
        let described = client
            .prepare(&format!("SELECT * FROM ({source}) AS source"))
            .await
            .map_err(|e| database_error(&format!("cannot read {}", self.describe()), e))?;
        let header: Vec<String> = described
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let types: Vec<Type> = described
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect();
        let place = self.describe();
        let map = ColumnMap::resolve(&header, mapping, Path::new(&place), None)?;
        let columns: Vec<SourceColumn> = header
            .into_iter()
            .zip(types)
            .map(|(name, type_)| SourceColumn {
                name,
                kind: column_kind(&type_),
                type_name: type_.name().to_string(),
            })
            .collect();
        let typed = typed_columns(Dialect::Postgres, &map, &columns, &place, |column| {
            format!("cast it in --query, e.g. CAST({column} AS ...)")
        })?;
        client
            .batch_execute(&format!(
                "CREATE TEMPORARY TABLE rebuy_source AS {};
                 CREATE TEMPORARY TABLE lines AS {LINES_SQL};
                 ANALYZE lines;",
                source_sql(&source, &typed, rules)
            ))
            .await
            .map_err(|e| database_error("cleaning the lines", e))?;
        let input = InputReport {
            path: self.describe(),
            format: "postgres".into(),
            detail: "cleaning rules and aggregation run in the database".into(),
            lines: 0,
        };
        let quality = pushdown::quality(|sql| query(&client, sql), input, rules).await?;
        Ok((client, quality))
    }
}

/// Runs one statement and returns its rows as Arrow columns (integers, floats,
/// booleans, text). The one dialect adaptation: `numeric` results (PostgreSQL's
/// `SUM` of a `bigint`) are read as `double precision`, as the embedded engine
/// types them.
pub(crate) async fn query(client: &Client, sql: &str) -> Result<Vec<RecordBatch>> {
    let error = |e| database_error("query", e);
    let statement = client.prepare(sql).await.map_err(error)?;
    let statement = if statement
        .columns()
        .iter()
        .any(|c| *c.type_() == Type::NUMERIC)
    {
        let columns: Vec<String> = statement
            .columns()
            .iter()
            .map(|c| {
                let name = quote_identifier(c.name());
                if *c.type_() == Type::NUMERIC {
                    format!("CAST({name} AS double precision) AS {name}")
                } else {
                    name
                }
            })
            .collect();
        client
            .prepare(&format!(
                "SELECT {} FROM ({sql}) AS result",
                columns.join(", ")
            ))
            .await
            .map_err(error)?
    } else {
        statement
    };
    let rows = client.query(&statement, &[]).await.map_err(error)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (i, column) in statement.columns().iter().enumerate() {
        let array = column_array(&rows, i, column.type_()).map_err(|detail| {
            Error::Database(format!("query result column {:?}: {detail}", column.name()))
        })?;
        fields.push(Field::new(column.name(), array.data_type().clone(), true));
        arrays.push(array);
    }
    Ok(vec![RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        arrays,
    )?])
}

/// What a PostgreSQL column type holds, for the cleaning rules.
fn column_kind(type_: &Type) -> ColumnKind {
    match *type_ {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => {
            ColumnKind::Number
        }
        Type::TIMESTAMP => ColumnKind::Timestamp,
        Type::TIMESTAMPTZ => ColumnKind::TimestampUtc,
        Type::DATE => ColumnKind::Date,
        _ => ColumnKind::Text,
    }
}

/// One result column as an Arrow array: integers, floats, booleans or text.
fn column_array(rows: &[Row], i: usize, type_: &Type) -> std::result::Result<ArrayRef, String> {
    fn values<'a, T: FromSql<'a>>(
        rows: &'a [Row],
        i: usize,
    ) -> std::result::Result<Vec<Option<T>>, String> {
        rows.iter()
            .map(|row| row.try_get::<_, Option<T>>(i).map_err(|e| e.to_string()))
            .collect()
    }
    Ok(match *type_ {
        Type::INT2 => Arc::new(Int32Array::from_iter(
            values::<i16>(rows, i)?
                .into_iter()
                .map(|v| v.map(i32::from)),
        )),
        Type::INT4 => Arc::new(Int32Array::from(values::<i32>(rows, i)?)),
        Type::INT8 => Arc::new(Int64Array::from(values::<i64>(rows, i)?)),
        Type::FLOAT4 => Arc::new(Float64Array::from_iter(
            values::<f32>(rows, i)?
                .into_iter()
                .map(|v| v.map(f64::from)),
        )),
        Type::FLOAT8 => Arc::new(Float64Array::from(values::<f64>(rows, i)?)),
        Type::BOOL => Arc::new(BooleanArray::from(values::<bool>(rows, i)?)),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            Arc::new(StringArray::from(values::<String>(rows, i)?))
        }
        _ => return Err(format!("type {}, which rebuy does not read", type_.name())),
    })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// One line for the user: what was being done, and the server's message (or the
/// connection failure and its cause).
fn database_error(doing: &str, error: tokio_postgres::Error) -> Error {
    let detail = match error.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(hint) = db.hint() {
                text.push_str(&format!(" ({hint})"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(inner) = cause {
                text.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            text
        }
    };
    Error::Database(format!("PostgreSQL, {doing}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_rebuy_parameters_apart() {
        let source = PostgresSource::parse(
            "postgres://ann:secret@127.0.0.1:5433/shop?table=public.tx&application_name=x",
            None,
        )
        .unwrap();
        assert_eq!(
            source.describe(),
            "postgres://ann@127.0.0.1:5433/shop table public.tx"
        );
        assert_eq!(source.relation_sql(), "SELECT * FROM \"public\".\"tx\"");
        assert_eq!(source.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        let query =
            PostgresSource::parse("postgresql://ann@db/shop", Some("SELECT * FROM t;")).unwrap();
        assert_eq!(query.relation_sql(), "SELECT * FROM t");
        assert!(PostgresSource::parse("postgres://ann@db/shop", None).is_err());
        assert!(PostgresSource::parse("postgres://ann@db/shop?table=t", Some("SELECT 1")).is_err());
        assert_eq!(
            redact("postgres://ann:secret@db/shop"),
            "postgres://ann:***@db/shop"
        );
        assert!(crate::is_postgres_url("postgres://x") && !crate::is_postgres_url("data.csv"));
    }
}
