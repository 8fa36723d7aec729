//! A Ballista cluster (the DataFusion cluster engine) as the engine: the executors read
//! the Parquet files, apply the cleaning rules and compute the features; only the
//! results (one row per customer, counts, days) come back.
//!
//! The files become the view `rebuy_input`, the cleaning rules the views
//! `rebuy_source` and `lines` ([`crate::pushdown`], the SQL the PostgreSQL source runs
//! too), and every query of [`crate::FeatureEngine`] is planned by the scheduler and
//! run on the executors. The SQL is plain DataFusion SQL without user-defined
//! functions, so the executors of the official Ballista images run it as well as
//! `rebuy ballista executor`. The files must be readable at the same path by this
//! process (it reads their schema) and by every executor: a shared file system.

use crate::pushdown::{self, ColumnKind, Dialect, LINES_SQL, SourceColumn, typed_columns};
use crate::{Error, Result};
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use rebuy_data::quality::InputReport;
use rebuy_data::schema::ColumnMap;
use rebuy_data::{CleaningRules, ColumnMapping, QualityReport};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to wait for the scheduler to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `ballista://host:port` (rebuy's parameter `statement_timeout` taken out) and the
/// Parquet files of the lines.
#[derive(Debug, Clone)]
pub struct BallistaSource {
    host: String,
    port: u16,
    files: Vec<String>,
    statement_timeout: Duration,
}

/// A query on the cluster, cancelled after `timeout`; errors are one line naming what
/// was being done.
pub(crate) async fn query(
    context: &SessionContext,
    sql: &str,
    timeout: Duration,
) -> Result<Vec<RecordBatch>> {
    let run = async { context.sql(sql).await?.collect().await };
    match tokio::time::timeout(timeout, run).await {
        Ok(result) => result.map_err(|e| cluster_error("query", e)),
        Err(_) => Err(Error::Database(format!(
            "Ballista: a query ran longer than {} s (statement_timeout): are executors registered with the scheduler?",
            timeout.as_secs()
        ))),
    }
}

impl BallistaSource {
    /// Parses `ballista://host:port[?statement_timeout=SECONDS]`; `files` are Parquet
    /// files (made absolute, as the executors resolve them).
    pub fn parse(url: &str, files: &[PathBuf]) -> Result<Self> {
        let expected = || {
            Error::Invalid(format!(
                "--engine {url}: expected ballista://HOST:PORT[?statement_timeout=SECONDS]"
            ))
        };
        let rest = url.strip_prefix("ballista://").ok_or_else(expected)?;
        let (address, parameters) = rest.split_once('?').unwrap_or((rest, ""));
        let mut statement_timeout = Duration::from_secs(crate::postgres::STATEMENT_TIMEOUT_SECONDS);
        for pair in parameters.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("statement_timeout", seconds)) => {
                    statement_timeout = Duration::from_secs(seconds.parse().map_err(|_| {
                        Error::Invalid(format!(
                            "statement_timeout={seconds}: expected a number of seconds"
                        ))
                    })?);
                }
                _ => return Err(expected()),
            }
        }
        let (host, port) = address.rsplit_once(':').ok_or_else(expected)?;
        let port = port.parse().map_err(|_| expected())?;
        if host.is_empty() {
            return Err(expected());
        }
        if files.is_empty() {
            return Err(Error::Invalid(
                "--engine ballista://: give the Parquet files of the lines with --input".into(),
            ));
        }
        let files = files
            .iter()
            .map(|file| {
                let is_parquet = file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
                if !is_parquet {
                    return Err(Error::Invalid(format!(
                        "{}: the Ballista engine reads Parquet files (*.parquet); write one with rebuy convert",
                        file.display()
                    )));
                }
                let absolute = std::path::absolute(file).map_err(|e| {
                    Error::Invalid(format!("{}: {e}", file.display()))
                })?;
                absolute.to_str().map(str::to_string).ok_or_else(|| {
                    Error::Invalid(format!("{}: not a UTF-8 path", file.display()))
                })
            })
            .collect::<Result<_>>()?;
        Ok(BallistaSource {
            host: host.to_string(),
            port,
            files,
            statement_timeout,
        })
    }

    /// `ballista://host:port`.
    pub fn describe(&self) -> String {
        format!("ballista://{}:{}", self.host, self.port)
    }

    /// The Parquet files, as the executors read them.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub(crate) fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// Connects to the scheduler, defines the views of the lines on the files, and
    /// returns the session with the quality report (its counts computed on the
    /// cluster).
    pub(crate) async fn open(
        &self,
        rules: &CleaningRules,
        mapping: &ColumnMapping,
    ) -> Result<(SessionContext, QualityReport)> {
        let place = self.describe();
        let address = format!("{}:{}", self.host, self.port);
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address)).await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(Error::Database(format!(
                    "cannot connect to the Ballista scheduler at {place}: {e}"
                )));
            }
            Err(_) => {
                return Err(Error::Database(format!(
                    "cannot connect to the Ballista scheduler at {place}: no answer in {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        }
        let config = SessionConfig::new_with_ballista().set_u64(
            "ballista.client.grpc_connect_timeout_seconds",
            CONNECT_TIMEOUT.as_secs(),
        );
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build();
        let context = SessionContext::remote_with_state(&format!("df://{address}"), state)
            .await
            .map_err(|e| cluster_error(&format!("connecting to {place}"), e))?;
        let input = context
            .read_parquet(self.files.clone(), ParquetReadOptions::default())
            .await
            .map_err(|e| {
                Error::Database(format!(
                    "cannot read the Parquet input {}: {}",
                    self.files.join(", "),
                    one_line(&e.to_string())
                ))
            })?;
        let columns: Vec<SourceColumn> = input
            .schema()
            .fields()
            .iter()
            .map(|field| SourceColumn {
                name: field.name().clone(),
                kind: column_kind(field.data_type()),
                type_name: field.data_type().to_string(),
            })
            .collect();
        let header: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let input_place = self.files.join(", ");
        let map = ColumnMap::resolve(&header, mapping, Path::new(&input_place), None)?;
        let typed = typed_columns(Dialect::DataFusion, &map, &columns, &input_place, |_| {
            "write the files with rebuy convert, which types every column".into()
        })?;
        context.register_table("rebuy_input", input.into_view())?;
        let views = [
            (
                "rebuy_source",
                pushdown::source_sql("SELECT * FROM rebuy_input", &typed, rules),
            ),
            ("lines", LINES_SQL.to_string()),
        ];
        for (name, sql) in views {
            context
                .sql(&format!("CREATE VIEW {name} AS {sql}"))
                .await
                .map_err(|e| cluster_error("defining the cleaning rules", e))?;
        }
        let report = InputReport {
            path: format!("{place} {input_place}"),
            format: "parquet".into(),
            detail: "cleaning rules and aggregation run on the Ballista cluster".into(),
            lines: 0,
        };
        let quality = pushdown::quality(
            |sql| query(&context, sql, self.statement_timeout),
            report,
            rules,
        )
        .await?;
        Ok((context, quality))
    }
}

/// What an Arrow column type holds, for the cleaning rules.
fn column_kind(data_type: &DataType) -> ColumnKind {
    match data_type {
        t if t.is_integer() || t.is_floating() => ColumnKind::Number,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnKind::Number,
        DataType::Timestamp(..) => ColumnKind::Timestamp,
        DataType::Date32 | DataType::Date64 => ColumnKind::Date,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnKind::Text,
        _ => ColumnKind::Other,
    }
}

/// One line for the user: what was being done, and the engine's message.
fn cluster_error(doing: &str, error: datafusion::error::DataFusionError) -> Error {
    Error::Database(format!(
        "Ballista, {doing}: {}",
        one_line(&error.to_string())
    ))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
