//! The figures the pages and exports show agree with the run files: exports carry every
//! column of customers.csv, every figure of the Overview covers the period it says,
//! money carries the run's currency.

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every run folder fixture; `as-of-run` is a real run cut by `--as-of` mid-month.
const RUNS: [&str; 5] = [
    "run",
    "run-with-clusters",
    "demo-run",
    "scored-run",
    "as-of-run",
];

/// The fixture run with `--as-of` inside the data.
const CUT: &str = "as-of-run";

async fn text(url: &str) -> (StatusCode, String) {
    let response = reqwest::get(url).await.expect("request");
    (response.status(), response.text().await.expect("body"))
}

/// A CSV text as its header and records.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn file(run: &str, name: &str) -> String {
    std::fs::read_to_string(common::fixture(run).join(name)).expect("fixture file")
}

/// Each export (all customers, and each segment's) has exactly customers.csv's header
/// and the file's rows of its customers, whatever columns the run has.
#[tokio::test]
async fn every_export_has_every_column_of_customers_csv() {
    for run in RUNS {
        let (header, rows) = read_csv(&file(run, "customers.csv"));
        let segment = header
            .iter()
            .position(|h| h == "rfm_segment")
            .expect("segment column");
        let base = common::start(run).await;
        let (status, all) = text(&format!("{base}/api/customers.csv")).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        assert_eq!(read_csv(&all), (header.clone(), rows.clone()), "{run}");
        let (_, segments) = text(&format!("{base}/api/segments")).await;
        let segments: Value = serde_json::from_str(&segments).expect("JSON");
        for name in segments["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .filter_map(|s| s["name"].as_str())
        {
            let url = reqwest::Url::parse_with_params(
                &format!("{base}/api/customers.csv"),
                [("segment", name)],
            )
            .expect("url");
            let (status, export) = text(url.as_str()).await;
            assert_eq!(status, StatusCode::OK, "{run} {name}");
            let (export_header, export_rows) = read_csv(&export);
            assert_eq!(export_header, header, "{run} {name}");
            let expected: Vec<Vec<String>> = rows
                .iter()
                .filter(|r| r[segment] == name)
                .cloned()
                .collect();
            assert!(!expected.is_empty(), "{run} {name}");
            assert_eq!(export_rows, expected, "{run} {name}");
        }
    }
}

/// The columns a later run adds (text the server does not know, here a flag column)
/// are exported too, and the customer card shows them.
#[tokio::test]
async fn columns_this_version_does_not_know_are_exported_and_shown() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["manifest.json", "quality.json"] {
        std::fs::copy(common::fixture("run").join(name), folder.path().join(name)).expect("copy");
    }
    let original = file("run", "customers.csv");
    let mut lines = original.lines();
    let mut widened = format!(
        "{},gross_spend,net_spend_not_positive\n",
        lines.next().expect("header")
    );
    for (i, line) in lines.enumerate() {
        let flag = if i % 7 == 0 { "true" } else { "false" };
        widened.push_str(&format!("{line},{}.5,{flag}\n", 100 + i));
    }
    std::fs::write(folder.path().join("customers.csv"), &widened).expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let (status, export) = text(&format!("{base}/api/customers.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read_csv(&export), read_csv(&widened));
    let (_, card) = text(&format!("{base}/customers?id=12346")).await;
    assert!(
        card.contains("net spend zero or less") && card.contains("gross spend (before returns)"),
        "the card shows the new columns"
    );
}

/// An export refuses to mix a changed customers.csv with the table the pages show.
#[tokio::test]
async fn an_export_of_a_changed_file_is_refused() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["manifest.json", "quality.json", "customers.csv"] {
        std::fs::copy(common::fixture("run").join(name), folder.path().join(name)).expect("copy");
    }
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let original = file("run", "customers.csv");
    let shorter: String = original
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(folder.path().join("customers.csv"), shorter).expect("write");
    let (status, body) = text(&format!("{base}/api/customers.csv")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(body.contains("changed since the server loaded"), "{body}");
}

/// Returns by customers with no sale are in no customer's net spend: the quality table
/// shows them apart, so revenue minus the customers' returns is the net spend card.
#[tokio::test]
async fn returns_by_customers_with_no_sale_are_shown_apart() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["manifest.json", "customers.csv"] {
        std::fs::copy(common::fixture("run").join(name), folder.path().join(name)).expect("copy");
    }
    let mut quality: Value = serde_json::from_str(&file("run", "quality.json")).expect("JSON");
    let customers_returns = column_sum(&file("run", "customers.csv"), "returns_value");
    quality["returns_value"] = json!(customers_returns + 12.34);
    std::fs::write(folder.path().join("quality.json"), quality.to_string()).expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let (status, overview) = text(&format!("{base}/")).await;
    assert_eq!(status, StatusCode::OK);
    let table = table_rows(&overview, "<table id=\"quality-table\">");
    let apart = table
        .iter()
        .find(|r| {
            r.first()
                .is_some_and(|c| c.starts_with("of which by customers"))
        })
        .expect("a row for the returns of customers with no sale");
    assert_shows(&apart[1], 12.34, "returns of customers with no sale");
}

/// Money in the style of the Overview's cards: thousands separators, 2 decimals.
fn pounds(value: f64) -> String {
    let text = format!("{value:.2}");
    let (integer, cents) = text.split_once('.').expect("decimals");
    let mut grouped = String::new();
    for (i, c) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("£{grouped}.{cents}")
}

fn column_sum(text: &str, column: &str) -> f64 {
    let (header, rows) = read_csv(text);
    let at = header.iter().position(|h| h == column).expect(column);
    rows.iter()
        .map(|r| r[at].parse::<f64>().expect("number"))
        .sum()
}

/// A run cut by `--as-of` inside the data: months.csv stops the day before the as-of
/// date and its revenue is the customers' gross spend; the Overview's revenue card, chart and
/// the quality table's "before the as-of date" column say the same figure, the quality
/// table's own column every line read, and the cut month is marked partial.
#[tokio::test]
async fn every_figure_of_a_cut_run_covers_the_period_it_says() {
    let manifest: Value = serde_json::from_str(&file(CUT, "manifest.json")).expect("JSON");
    let quality: Value = serde_json::from_str(&file(CUT, "quality.json")).expect("JSON");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let as_of_date = chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").expect("date");
    let last_sale = manifest["last_sale"].as_str().expect("last sale");
    assert!(
        &last_sale[..10] >= as_of,
        "the fixture's data go past the as-of date"
    );
    assert_ne!(as_of_date.format("%d").to_string(), "01", "cut mid-month");

    let months = file(CUT, "months.csv");
    let (header, rows) = read_csv(&months);
    assert_eq!(header, ["month", "revenue", "first_day", "last_day"]);
    let last = rows.last().expect("a month");
    assert_eq!(last[0], as_of_date.format("%Y-%m").to_string());
    assert_eq!(last[3], as_of_date.pred_opt().expect("day").to_string());
    let monthly = column_sum(&months, "revenue");
    let spend = column_sum(&file(CUT, "customers.csv"), "gross_spend");
    assert!((monthly - spend).abs() < 0.01, "{monthly} vs {spend}");
    let every_line = quality["revenue"].as_f64().expect("revenue");
    assert!(
        every_line > spend + 1.0,
        "the quality report counts later sales"
    );

    let base = common::start(CUT).await;
    let (status, page) = text(&format!("{base}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(card(&page, "Revenue"), pounds(spend), "revenue card");
    assert!(
        page.contains(&format!("before the as-of date {as_of}</th>")),
        "the quality table has a column for the cards' period"
    );
    assert!(page.contains(&format!("<td class=\"num\">{}</td></tr>", pounds(spend))));
    assert!(page.contains(&format!("<td class=\"num\">{}</td>", pounds(every_line))));
    assert!(page.contains(&format!("sales before the as-of date <b>{as_of}</b>")));
    let partial = format!("{}*", as_of_date.format("%Y-%m"));
    assert!(
        page.contains(&format!("\"{partial}\"")),
        "the cut month is marked"
    );
    assert!(page.contains("id=\"partial-months\""));
    assert!(page.contains(&format!("the as-of date is {as_of}")));
    // No month after the as-of date, on either chart.
    let next_month = as_of_date
        .checked_add_months(chrono::Months::new(1))
        .expect("date")
        .format("%Y-%m")
        .to_string();
    assert!(
        !page.contains(&format!("\"{next_month}")),
        "{next_month} is after the as-of date"
    );
}

/// A run of an older version, whose months.csv counted every sale: the months from the
/// as-of date on are left out, and the page says the as-of month may hold later sales.
#[tokio::test]
async fn an_older_months_file_is_cut_at_the_as_of_date_and_says_so() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["quality.json", "customers.csv"] {
        std::fs::copy(common::fixture("run").join(name), folder.path().join(name)).expect("copy");
    }
    let mut manifest: Value = serde_json::from_str(&file("run", "manifest.json")).expect("JSON");
    manifest["as_of"] = "2011-06-15".into();
    std::fs::write(folder.path().join("manifest.json"), manifest.to_string()).expect("write");
    std::fs::write(
        folder.path().join("months.csv"),
        "month,revenue\n2011-05,100\n2011-06,200\n2011-07,300\n",
    )
    .expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let months = &run.revenue_by_month.as_ref().expect("months").months;
    let names: Vec<&str> = months.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(names, ["2011-05", "2011-06"]);
    assert!(!months[0].is_partial() && months[1].is_partial());
    let page = common::serve_run(run).await;
    let (_, overview) = text(&format!("{page}/")).await;
    assert!(
        overview.contains("counts every sale"),
        "the old file is named"
    );
    assert!(!overview.contains("\"2011-07"));
}

/// With a currency in manifest.json, money is written with it on every page; without,
/// plain; a run whose manifest has no `currency` (older runs) loads.
#[tokio::test]
async fn money_carries_the_runs_currency() {
    let base = common::start(CUT).await;
    for path in ["/", "/segments", "/customers", "/customers?id=12346"] {
        let (status, page) = text(&format!("{base}{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains("£"), "{path} shows pounds");
        assert!(
            page.contains("\"prefix\":\"£\""),
            "{path} charts use the same style"
        );
    }
    let plain = common::start("run").await;
    let (_, overview) = text(&format!("{plain}/")).await;
    assert!(!overview.contains('£'), "no currency named, none shown");
    assert!(overview.contains("<div class=\"value\">361,867.50</div>"));
}

/// report.html of a run carries the name it is given (the run's, not the staging
/// folder's).
#[test]
fn the_report_names_the_run() {
    let run = rebuy_server::RunData::load(&common::fixture(CUT))
        .expect("loads")
        .named("spring-2011");
    let report = rebuy_server::report_html(&run);
    assert!(report.contains("run <b>spring-2011</b>"));
}

/// The Segments page says in words why the run has its number of clusters, from what
/// segments.json records.
#[tokio::test]
async fn the_segments_page_explains_the_choice_of_k() {
    let segments: Value = serde_json::from_str(&file(CUT, "segments.json")).expect("JSON");
    let clustering = &segments["clustering"];
    let k = clustering["chosen_k"].as_u64().expect("k");
    let base = common::start(CUT).await;
    let (_, page) = text(&format!("{base}/segments")).await;
    assert!(page.contains(&format!("Why {k} clusters")), "heading");
    match clustering["knee"].as_u64() {
        Some(knee) => assert!(page.contains(&format!("past <b>k = {knee}</b>"))),
        None => assert!(page.contains("has no elbow")),
    }
    assert!(page.contains(&format!("<b>k = {k}</b>")));
    assert!(page.contains("silhouette"));
}

/// The number a page shows, read back: `£1,234.56` -> (1234.56, 2 decimals), `45.0%`
/// -> (45.0, 1); `None` for a cell that holds no number.
fn shown_number(text: &str) -> Option<(f64, i32)> {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
        .collect();
    let value = kept.parse().ok()?;
    let decimals = kept.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    Some((value, decimals))
}

/// The page shows `expected` as written with the decimals it shows (within half a unit
/// of its last digit).
#[track_caller]
fn assert_shows(shown: &str, expected: f64, what: &str) {
    // A probability near certainty reads as a bound: `over 99.9%`, `under 0.1%`.
    if let Some(bound) = shown.strip_prefix("over ") {
        let (value, decimals) = shown_number(bound).expect("a bound");
        assert!(
            expected >= value + 0.5 * 10f64.powi(-decimals),
            "{what}: {shown} vs {expected}"
        );
        return;
    }
    if let Some(bound) = shown.strip_prefix("under ") {
        let (value, decimals) = shown_number(bound).expect("a bound");
        assert!(
            expected < value - 0.5 * 10f64.powi(-decimals),
            "{what}: {shown} vs {expected}"
        );
        return;
    }
    let (value, decimals) =
        shown_number(shown).unwrap_or_else(|| panic!("{what}: `{shown}` is not a number"));
    let half_unit = 0.5 * 10f64.powi(-decimals) + 1e-9 * expected.abs();
    assert!(
        (value - expected).abs() <= half_unit,
        "{what}: the page shows `{shown}`, the run files say {expected}"
    );
}

/// The text of an HTML fragment without its tags and entities.
fn plain(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&minus;", "-")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// The cells (plain text) of each row of the table that starts at `marker`.
fn table_rows(page: &str, marker: &str) -> Vec<Vec<String>> {
    let start = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let table = &page[start..];
    let table = &table[..table.find("</table>").expect("table end")];
    table
        .split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter(|cell| cell.starts_with("d") || cell.starts_with("h"))
                .map(|cell| plain(&format!("<t{cell}")))
                .collect()
        })
        .collect()
}

/// The value of the Overview's card `label`.
fn card(page: &str, label: &str) -> String {
    let marker = format!("<div class=\"label\">{label}</div>");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no card {label}"))
        + marker.len();
    let value = &page[at..];
    plain(&value[..value.find("</div>").expect("card end")])
}

/// A column of customers.csv as numbers (missing as NaN).
fn numbers(header: &[String], rows: &[Vec<String>], column: &str) -> Vec<f64> {
    let at = header.iter().position(|h| h == column).expect(column);
    rows.iter()
        .map(|r| r[at].parse().unwrap_or(f64::NAN))
        .collect()
}

/// Every number of the Overview (cards, data-quality table, revenue chart) and of the
/// Segments page (segment table, cluster profiles) of every fixture run equals the
/// same figure computed here from the run's own files.
#[tokio::test]
async fn every_number_on_the_pages_equals_the_run_files() {
    for run in RUNS {
        let (header, rows) = read_csv(&file(run, "customers.csv"));
        let manifest: Value = serde_json::from_str(&file(run, "manifest.json")).expect("JSON");
        let horizon = manifest["horizon_days"].as_f64().unwrap_or(90.0);
        let recency = numbers(&header, &rows, "recency_days");
        let frequency = numbers(&header, &rows, "frequency");
        let net = numbers(&header, &rows, "monetary");
        let has = |c: &str| header.iter().any(|h| h == c);
        let gross = if has("gross_spend") {
            numbers(&header, &rows, "gross_spend")
        } else {
            net.clone()
        };
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        let n = rows.len() as f64;

        let base = common::start(run).await;
        let (_, overview) = text(&format!("{base}/")).await;
        let what = |thing: &str| format!("{run}: {thing}");
        assert_shows(&card(&overview, "Customers"), n, &what("customers"));
        assert_shows(&card(&overview, "Revenue"), sum(&gross), &what("revenue"));
        assert_shows(&card(&overview, "Net spend"), sum(&net), &what("net spend"));
        assert_shows(&card(&overview, "Orders"), sum(&frequency), &what("orders"));
        let active = recency.iter().filter(|&&d| d <= horizon).count() as f64;
        assert_shows(&card(&overview, "Active"), active, &what("active"));
        assert_shows(&card(&overview, "Lapsed"), n - active, &what("lapsed"));
        let repeat = frequency.iter().filter(|&&f| f >= 2.0).count() as f64 / n;
        assert_shows(
            &card(&overview, "Repeat rate"),
            100.0 * repeat,
            &what("repeat"),
        );
        assert_shows(
            &card(&overview, "Average order value"),
            sum(&net) / sum(&frequency),
            &what("average order value"),
        );

        // The quality table: quality.json's figures, and the customers' beside them.
        let quality: Value = serde_json::from_str(&file(run, "quality.json")).expect("JSON");
        let table = table_rows(&overview, "<table id=\"quality-table\">");
        let row = |label: &str| {
            table
                .iter()
                .find(|r| r.first().is_some_and(|c| c.starts_with(label)))
                .unwrap_or_else(|| panic!("{run}: no row {label}"))
                .clone()
        };
        let two_columns = table[0].len() == 3 && table[0][1] == "all lines read";
        for (label, key, before) in [
            ("lines read", "lines_read", None),
            ("= sales lines kept", "sales_lines", None),
            ("returns kept", "returns_kept", None),
            ("customers with a purchase", "customers", Some(n)),
            ("orders", "invoices", Some(sum(&frequency))),
            ("revenue", "revenue", Some(sum(&gross))),
            (
                "value of returns",
                "returns_value",
                has("returns_value").then(|| sum(&numbers(&header, &rows, "returns_value"))),
            ),
        ] {
            let cells = row(label);
            let expected = quality[key].as_f64().unwrap_or(0.0);
            assert_shows(&cells[1], expected, &what(label));
            if let (true, Some(before)) = (two_columns, before) {
                assert_shows(&cells[2], before, &what(&format!("{label} before as-of")));
            }
        }
        // Without a cut, revenue minus the returns the customers made is their net spend:
        // returns by customers with no sale are shown apart, or there are none.
        if !two_columns && has("returns_value") {
            let returns = quality["returns_value"].as_f64().unwrap_or(0.0);
            let unmatched = returns - sum(&numbers(&header, &rows, "returns_value"));
            let apart = table.iter().find(|r| {
                r.first()
                    .is_some_and(|c| c.starts_with("of which by customers"))
            });
            match apart {
                Some(cells) => assert_shows(&cells[1], unmatched, &what("unmatched returns")),
                None => assert!(
                    unmatched.abs() < 0.005,
                    "{run}: {unmatched} of returns unshown"
                ),
            }
        }

        // The revenue chart draws months.csv, every month once.
        if let Ok(months) = std::fs::read_to_string(common::fixture(run).join("months.csv")) {
            let marker =
                "<script type=\"application/json\" data-chart-option=\"revenue-by-month\">";
            let at = overview.find(marker).expect("revenue chart") + marker.len();
            let option: Value = serde_json::Deserializer::from_str(&overview[at..])
                .into_iter()
                .next()
                .expect("chart option")
                .expect("JSON");
            let series = option["series"].as_array().expect("series");
            let drawn: Vec<f64> = (0..option["xAxis"]["data"].as_array().expect("months").len())
                .map(|i| {
                    series
                        .iter()
                        .filter_map(|s| {
                            let point = &s["data"][i];
                            point.as_f64().or_else(|| point["value"].as_f64())
                        })
                        .sum()
                })
                .collect();
            let (_, month_rows) = read_csv(&months);
            let written: Vec<f64> = month_rows
                .iter()
                .map(|r| r[1].parse().expect("revenue"))
                .collect();
            assert_eq!(drawn.len(), written.len(), "{run}: one bar per month");
            for (d, w) in drawn.iter().zip(&written) {
                assert!((d - w).abs() < 0.006, "{run}: month drawn {d}, written {w}");
            }
        }

        // The segment table: each segment's figures from customers.csv, its shares as
        // segments.json has them.
        let (_, segments_page) = text(&format!("{base}/segments")).await;
        let segment_of = {
            let at = header
                .iter()
                .position(|h| h == "rfm_segment")
                .expect("segment");
            rows.iter().map(|r| r[at].clone()).collect::<Vec<_>>()
        };
        let summary: Option<Value> =
            std::fs::read_to_string(common::fixture(run).join("segments.json"))
                .ok()
                .map(|t| serde_json::from_str(&t).expect("JSON"));
        let table = table_rows(&segments_page, "<table class=\"segments\">");
        assert_eq!(
            table.len() - 1,
            {
                let mut names = segment_of.clone();
                names.sort();
                names.dedup();
                names.len()
            },
            "{run}: one row per segment"
        );
        for cells in &table[1..] {
            let name = &cells[0];
            let members: Vec<usize> = (0..rows.len())
                .filter(|&i| &segment_of[i] == name)
                .collect();
            let count = members.len() as f64;
            let of = |v: &[f64]| members.iter().map(|&i| v[i]).sum::<f64>();
            let what = |thing: &str| format!("{run}: {name} {thing}");
            assert_shows(&cells[1], count, &what("customers"));
            assert_shows(&cells[2], 100.0 * count / n, &what("% customers"));
            assert_shows(&cells[3], of(&net), &what("net spend"));
            assert_shows(
                &cells[4],
                100.0 * of(&net) / sum(&net),
                &what("% net spend"),
            );
            assert_shows(&cells[5], of(&recency) / count, &what("days"));
            assert_shows(&cells[6], of(&frequency) / count, &what("orders"));
            assert_shows(&cells[7], of(&net) / count, &what("avg net spend"));
            let recorded = summary.as_ref().and_then(|s| {
                s["rfm_segments"]
                    .as_array()?
                    .iter()
                    .find(|r| r["name"] == name.as_str())
                    .cloned()
            });
            if let Some(recorded) = recorded {
                let share = |key: &str| 100.0 * recorded[key].as_f64().expect(key);
                assert_shows(
                    &cells[2],
                    share("customer_share"),
                    &what("segments.json customers"),
                );
                assert_shows(
                    &cells[4],
                    share("revenue_share"),
                    &what("segments.json net spend"),
                );
            }
        }

        // The cluster profiles: segments.json's figures, cluster by cluster.
        let Some(clusters) = summary
            .as_ref()
            .and_then(|s| s["clustering"]["clusters"].as_array())
        else {
            continue;
        };
        let table = table_rows(&segments_page, "<table id=\"cluster-profiles\">");
        let names: Vec<&str> = clusters.iter().filter_map(|c| c["name"].as_str()).collect();
        assert_eq!(
            table[0][1..],
            names[..],
            "{run}: a column per cluster, in order"
        );
        for (label, key, scale) in [
            ("customers", "customers", 1.0),
            ("share of customers", "customer_share", 100.0),
            ("share of net spend", "revenue_share", 100.0),
            ("days since last order (median)", "median_recency_days", 1.0),
            ("orders (median)", "median_frequency", 1.0),
            ("net spend (median)", "median_monetary", 1.0),
            ("net spend (mean)", "mean_monetary", 1.0),
        ] {
            let Some(cells) = table.iter().find(|r| r[0] == label) else {
                panic!("{run}: no profile row {label}");
            };
            for (cell, cluster) in cells[1..].iter().zip(clusters) {
                let expected = scale * cluster[key].as_f64().expect(key);
                assert_shows(
                    cell,
                    expected,
                    &format!("{run}: {} {label}", cluster["name"]),
                );
            }
        }
    }
}

/// An export opened in a spreadsheet runs no formula: a customer id written like one
/// comes out behind a `'`, while a negative net spend stays a number; the page and the
/// lookup still use the id as the run wrote it.
#[tokio::test]
async fn exports_are_safe_to_open_in_a_spreadsheet() {
    let folder = tempfile::tempdir().expect("temp dir");
    for name in ["manifest.json", "quality.json"] {
        std::fs::copy(common::fixture("run").join(name), folder.path().join(name)).expect("copy");
    }
    let original = file("run", "customers.csv");
    let changed = original.replacen(
        "12346,102,2,639.46,",
        "\"=HYPERLINK(\"\"http://x\"\")\",102,2,-65.5,",
        1,
    );
    assert_ne!(changed, original, "the fixture has customer 12346");
    std::fs::write(folder.path().join("customers.csv"), &changed).expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let (status, export) = text(&format!("{base}/api/customers.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let (header, rows) = read_csv(&export);
    let (_, written) = read_csv(&changed);
    assert_eq!(header, read_csv(&changed).0);
    let monetary = header
        .iter()
        .position(|h| h == "monetary")
        .expect("monetary");
    assert_eq!(rows[0][0], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[0][monetary], "-65.5");
    assert_eq!(rows[1..], written[1..], "other rows as written");
    let lookup = reqwest::Url::parse_with_params(
        &format!("{base}/customers"),
        [("id", "=HYPERLINK(\"http://x\")")],
    )
    .expect("url");
    let (status, _) = text(lookup.as_str()).await;
    assert_eq!(status, StatusCode::OK, "the id as the run wrote it");
}

/// A customer's card on the Customers page shows each number of their customers.csv
/// row (shares and probabilities as percentages), for the first customers of every
/// fixture run.
#[tokio::test]
async fn a_customers_card_shows_their_row_of_customers_csv() {
    let shares = [
        "purchase_probability",
        "p_alive",
        "return_rate",
        "same_season_spend_share",
    ];
    for run in RUNS {
        let (header, rows) = read_csv(&file(run, "customers.csv"));
        let base = common::start(run).await;
        for row in rows.iter().take(5) {
            let url = reqwest::Url::parse_with_params(
                &format!("{base}/customers"),
                [("id", row[0].as_str())],
            )
            .expect("url");
            let (status, page) = text(url.as_str()).await;
            assert_eq!(status, StatusCode::OK, "{run} {}", row[0]);
            let mut shown = 0;
            for fact in page.split("<dt title=\"").skip(1) {
                let (column, rest) = fact.split_once('"').expect("title");
                let value = rest
                    .split_once("<dd>")
                    .and_then(|(_, v)| v.split_once("</dd>"))
                    .map(|(v, _)| plain(v))
                    .expect("value");
                let at = header.iter().position(|h| h == column).expect(column);
                let Ok(number) = row[at].parse::<f64>() else {
                    assert_eq!(value, if row[at].is_empty() { "none" } else { &row[at] });
                    continue;
                };
                let expected = if shares.contains(&column) {
                    100.0 * number
                } else {
                    number
                };
                assert_shows(&value, expected, &format!("{run} {} {column}", row[0]));
                shown += 1;
            }
            assert!(shown >= 10, "{run}: the card shows the numbers");
        }
    }
}

/// A copy of the fixture run `name` (its `models/` too) to change.
fn copy_run(name: &str) -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("temp dir");
    let from = common::fixture(name);
    std::fs::create_dir_all(folder.path().join("models")).expect("models folder");
    for sub in ["", "models"] {
        for entry in std::fs::read_dir(from.join(sub)).expect("fixture") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                let to = folder
                    .path()
                    .join(sub)
                    .join(path.file_name().expect("name"));
                std::fs::copy(&path, to).expect("copy");
            }
        }
    }
    folder
}

/// The Models page shows how each buy-till-you-die fit went, as metrics.json says, and
/// a degenerate fit's warnings reach the customer card beside P(alive).
#[tokio::test]
async fn the_buy_till_you_die_fits_are_shown_as_the_run_files_say() {
    let folder = copy_run("scored-run");
    let warning = "the mean chance of leaving after a purchase is 0.15 % (a = 0.2493, b = \
                   168.6), so nobody ever leaves";
    let weak = "`b` = 168.6 has a standard error of 775.0: the data hardly pin it down";
    let metrics_path = folder.path().join("metrics.json");
    let mut metrics: Value =
        serde_json::from_str(&std::fs::read_to_string(&metrics_path).expect("read")).expect("JSON");
    let fits = json!([
        {"model": "MBG/NBD", "used_for": "P(alive)", "status": "degenerate", "customers": 4285,
         "log_likelihood": -62587.33355, "starting_points": 2,
         "parameters": [{"name": "a", "value": 0.2493, "standard_error": 1.075},
                        {"name": "b", "value": 168.6, "standard_error": 775.0}],
         "warnings": [weak, warning], "message": "converged in 37 iterations"},
        {"model": "Gamma-Gamma", "used_for": "CLV", "status": "converged", "customers": 2808,
         "log_likelihood": -19138.431, "starting_points": 2, "parameters": [],
         "warnings": [], "message": "converged in 25 iterations"},
        {"model": "BG/NBD", "used_for": "a purchase score", "status": "hit_bound",
         "message": "BG/NBD cannot be fitted: parameter `b` ran off"}
    ]);
    metrics["btyd_fits"] = fits.clone();
    std::fs::write(&metrics_path, metrics.to_string()).expect("write");
    let btyd_path = folder.path().join("models/btyd.json");
    let mut btyd: Value =
        serde_json::from_str(&std::fs::read_to_string(&btyd_path).expect("read")).expect("JSON");
    btyd["transactions"]["report"]["status"] = json!("degenerate");
    btyd["transactions"]["report"]["warnings"] = json!([warning]);
    std::fs::write(&btyd_path, btyd.to_string()).expect("write");

    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let (status, page) = text(&format!("{base}/models")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = table_rows(&page, "<table id=\"btyd-fits-table\">");
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (row, fit) in rows[1..].iter().zip(fits.as_array().expect("fits")) {
        assert_eq!(row[0], fit["model"].as_str().expect("model"));
        assert_eq!(
            row[2],
            fit["status"].as_str().expect("status").replace('_', " ")
        );
        match fit["log_likelihood"].as_f64() {
            Some(ll) => assert_shows(&row[4], ll, "log-likelihood"),
            None => assert_eq!(row[4], ""),
        }
    }
    assert!(rows[1][5].contains("b = 168.6 ± 775.0"), "{:?}", rows[1]);
    assert!(rows[3][5].contains("ran off"), "{:?}", rows[3]);
    assert!(
        page.contains("<code>b</code> = 168.6 has a standard error"),
        "weak estimate"
    );
    assert!(
        page.contains("nobody ever leaves"),
        "the degenerate fit's warning"
    );

    let id = file("scored-run", "customers.csv")
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next().map(str::to_string))
        .expect("a customer");
    let (status, card) = text(&format!("{base}/customers?id={id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        card.contains("id=\"lifetime-warnings\"") && card.contains("MBG/NBD: the mean chance"),
        "the customer card warns of the degenerate fit"
    );
    // The clean fixture warns of nothing.
    let clean = rebuy_server::RunData::load(&common::fixture("scored-run")).expect("loads");
    let base = common::serve_run(clean).await;
    let (_, card) = text(&format!("{base}/customers?id={id}")).await;
    assert!(!card.contains("lifetime-warnings"));
}

/// The Models page says in words how much likelier to buy the served model's top tenth
/// was, with the figures of metrics.json.
#[tokio::test]
async fn the_top_decile_sentence_is_the_served_models_first_decile() {
    let metrics: Value = serde_json::from_str(&file("scored-run", "metrics.json")).expect("JSON");
    let served = metrics["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["name"] == metrics["chosen"])
        .expect("the chosen model's row");
    let top = &served["lift"][0];
    let run = rebuy_server::RunData::load(&common::fixture("scored-run")).expect("loads");
    let base = common::serve_run(run).await;
    let (status, page) = text(&format!("{base}/models")).await;
    assert_eq!(status, StatusCode::OK);
    let at = page
        .find("id=\"top-decile\"")
        .expect("the top-decile sentence");
    let sentence = plain(&format!(
        "<p {}",
        &page[at..at + page[at..].find("</p>").expect("end")]
    ));
    let figures: Vec<&str> = sentence
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .filter(|s| s.chars().any(|c| c.is_ascii_digit()))
        .collect();
    // "The top 10 % ... (N customers) bought at L× ...: R% of them bought in the H days,
    // against P% of all test customers."
    assert_eq!(figures.len(), 6, "{sentence}");
    assert_shows(
        figures[1],
        top["customers"].as_f64().expect("customers"),
        "customers",
    );
    assert_shows(figures[2], top["lift"].as_f64().expect("lift"), "lift");
    assert_shows(
        figures[3],
        100.0 * top["response_rate"].as_f64().expect("rate"),
        "rate",
    );
    assert_shows(
        figures[4],
        metrics["horizon_days"].as_f64().expect("horizon"),
        "horizon",
    );
    assert_shows(
        figures[5],
        100.0 * metrics["positive_rate"].as_f64().expect("positive rate"),
        "average rate",
    );
}

/// The Models page's hold-out comparison of the transaction models shows metrics.json's
/// `btyd_comparison`: every model's role, fit and figures, and why the chosen one serves.
#[tokio::test]
async fn the_hold_out_comparison_of_the_transaction_models_is_shown_as_metrics_json_says() {
    let metrics: Value = serde_json::from_str(&file("scored-run", "metrics.json")).expect("JSON");
    let comparison = &metrics["btyd_comparison"];
    let run = rebuy_server::RunData::load(&common::fixture("scored-run")).expect("loads");
    let base = common::serve_run(run).await;
    let (status, page) = text(&format!("{base}/models")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = table_rows(&page, "<table id=\"btyd-holdout-table\">");
    let models = comparison["models"].as_array().expect("models");
    assert_eq!(rows.len(), models.len() + 1, "{rows:?}");
    assert_eq!(
        rows[0],
        [
            "Model",
            "Role",
            "Fit",
            "Mean abs. error",
            "RMSE",
            "Correlation",
            "Expected",
            "Actual"
        ]
    );
    let chosen = comparison["chosen"].as_str().expect("chosen");
    for (row, model) in rows[1..].iter().zip(models) {
        let name = model["model"].as_str().expect("name");
        assert_eq!(row[0], name);
        let role = match (name == chosen, model["may_serve"] == true) {
            (true, _) => "serves P(alive)",
            (false, true) => "may serve",
            (false, false) => "compared only",
        };
        assert_eq!(row[1], role, "{name}");
        assert_eq!(row[2], model["fit"]["status"].as_str().expect("status"));
        let accuracy = &model["accuracy"];
        for (cell, key) in row[3..].iter().zip([
            "mean_absolute_error",
            "root_mean_squared_error",
            "correlation",
            "expected_total",
            "actual_total",
        ]) {
            assert_shows(cell, accuracy[key].as_f64().expect(key), key);
        }
    }
    let because = comparison["chosen_because"].as_str().expect("because");
    assert!(
        plain(&page).contains(because),
        "the page says why {chosen} serves"
    );
    assert!(page.contains(&format!(
        "the {} customers' history before {}",
        comparison["customers"],
        comparison["calibration_end"].as_str().expect("date")
    )));
    assert!(
        page.contains("Cumulative purchases in the hold-out: each model vs actual"),
        "the tracking picture"
    );
}

/// The Models page's backtest shows backtest.json: each model's mean and spread over the
/// cutoffs, its wins, the served row and the verdict.
#[tokio::test]
async fn the_backtest_is_shown_as_backtest_json_says() {
    use rebuy_models::backtest::{Backtest, Cutoff, CutoffModel, SkippedCutoff};
    let model = |name: &str, roc_auc: f64| CutoffModel {
        name: name.to_string(),
        roc_auc,
        pr_auc: roc_auc - 0.05,
        brier: 0.3 - roc_auc / 5.0,
        top_decile_lift: 1.5 + roc_auc,
    };
    let cutoff = |date: &str, chosen: &str, models: Vec<CutoffModel>| Cutoff {
        test_as_of: date.to_string(),
        train_as_of: "2010-01-01".to_string(),
        customers: 500,
        positive_rate: 0.4,
        chosen: chosen.to_string(),
        models,
    };
    let backtest = Backtest::new(
        90,
        30,
        vec![
            cutoff(
                "2010-09-11",
                "logistic_regression",
                vec![model("logistic_regression", 0.741), model("bg_nbd", 0.702)],
            ),
            cutoff(
                "2010-08-12",
                "bg_nbd",
                vec![model("logistic_regression", 0.733), model("bg_nbd", 0.745)],
            ),
        ],
        vec![SkippedCutoff {
            test_as_of: "2010-07-13".to_string(),
            reason: "no history before it".to_string(),
        }],
    );
    let folder = copy_run("scored-run");
    std::fs::write(
        folder.path().join("backtest.json"),
        serde_json::to_string(&backtest).expect("JSON"),
    )
    .expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let (status, page) = text(&format!("{base}/models")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = table_rows(&page, "<table id=\"backtest-table\">");
    assert_eq!(rows.len(), backtest.summary.len() + 1, "{rows:?}");
    for (row, summary) in rows[1..].iter().zip(&backtest.summary) {
        assert_eq!(row[1], summary.cutoffs.to_string());
        for (cell, (spread, what)) in row[2..6].iter().zip([
            (&summary.roc_auc, "ROC-AUC"),
            (&summary.pr_auc, "PR-AUC"),
            (&summary.brier, "Brier"),
            (&summary.top_decile_lift, "lift"),
        ]) {
            let (mean, sd) = cell.split_once('±').expect("mean ± sd");
            assert_shows(mean, spread.mean, what);
            assert_shows(sd, spread.sd, what);
        }
    }
    assert_eq!(rows[1][0], "Logistic regression");
    assert_eq!((rows[1][6].as_str(), rows[2][6].as_str()), ("1", "1"));
    assert!(rows[3][0].starts_with("Served"), "{:?}", rows[3]);
    // Served: 0.741 (logistic regression), then 0.745 (BG/NBD).
    assert_shows(rows[3][2].split('±').next().expect("mean"), 0.743, "served");
    let verdict = plain(&page);
    assert!(
        verdict.contains("best mean test ROC-AUC, 0.743"),
        "the verdict"
    );
    assert!(
        page.contains("2010-07-13: no history before it"),
        "the skipped cutoff"
    );
    assert!(page.contains("at 2 cutoffs from 2010-08-12 to 2010-09-11, 30 days apart"));
}

/// A runs folder's run: id -> (segment, net spend) of its customers.csv.
fn segments_and_spend(
    runs: &std::path::Path,
    run: &str,
) -> std::collections::BTreeMap<String, (String, f64)> {
    let text =
        std::fs::read_to_string(runs.join(run).join("customers.csv")).expect("customers.csv");
    let ids = common::csv_column(&text, "customer_id");
    let segments = common::csv_column(&text, "rfm_segment");
    let spend = common::csv_column(&text, "monetary");
    ids.into_iter()
        .zip(segments.into_iter().zip(spend))
        .map(|(id, (segment, spend))| (id, (segment, spend.parse().expect("monetary"))))
        .collect()
}

/// `1234.6` -> `£1,235`, as the run's currency (GBP) writes whole amounts.
fn whole_pounds(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}£{grouped}", if value < -0.5 { "-" } else { "" })
}

/// A migration cell's customers, their net spend and ids, keyed by (was, now).
type Cells = std::collections::BTreeMap<(String, String), (usize, f64, Vec<String>)>;

/// Checks every non-empty cell of `/changes` between two runs of `runs` against the
/// cells counted here from the two customers.csv files; returns the server's address and
/// those cells.
async fn check_migration_matrix(
    runs: &std::path::Path,
    earlier: &str,
    later: &str,
) -> (String, Cells) {
    let before = segments_and_spend(runs, earlier);
    let after = segments_and_spend(runs, later);
    // Counted here from the two customers.csv files: (was, now) -> (customers, spend).
    let mut expected = Cells::default();
    for (id, (was, spend_before)) in &before {
        let (now, spend) = match after.get(id) {
            Some((now, spend)) => (now.clone(), *spend),
            None => ("Gone".to_string(), *spend_before),
        };
        let cell = expected.entry((was.clone(), now)).or_default();
        cell.0 += 1;
        cell.1 += spend;
        cell.2.push(id.clone());
    }
    for (id, (now, spend)) in &after {
        if !before.contains_key(id) {
            let cell = expected
                .entry(("New".to_string(), now.clone()))
                .or_default();
            cell.0 += 1;
            cell.1 += spend;
            cell.2.push(id.clone());
        }
    }
    let base = common::start_runs(runs).await;
    let (status, page) = text(&format!("{base}/changes?from={earlier}&to={later}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut shown = std::collections::BTreeMap::new();
    for cell in page.split("data-was=\"").skip(1) {
        let (was, rest) = cell.split_once('"').expect("was");
        let now = rest
            .split_once("data-now=\"")
            .and_then(|(_, r)| r.split_once('"'))
            .expect("now")
            .0;
        let count = rest
            .split_once("class=\"count\">")
            .and_then(|(_, r)| r.split_once('<'))
            .expect("count")
            .0;
        let money = rest
            .split_once("class=\"money\">")
            .and_then(|(_, r)| r.split_once('<'))
            .expect("money")
            .0;
        let unescape = |s: &str| s.replace("&#39;", "'").replace("&amp;", "&");
        shown.insert(
            (unescape(was), unescape(now)),
            (
                count.replace(',', "").parse::<usize>().expect("a count"),
                money.to_string(),
            ),
        );
    }
    let wanted: std::collections::BTreeMap<_, _> = expected
        .iter()
        .map(|(cell, (customers, spend, _))| (cell.clone(), (*customers, whole_pounds(*spend))))
        .collect();
    assert_eq!(
        shown, wanted,
        "every non-empty cell, with its customers and net spend"
    );
    (base, expected)
}

#[tokio::test]
async fn the_migration_matrix_counts_the_customers_of_both_runs() {
    let (earlier, later) = ("2011-05-15", "2011-06-15");
    let (base, expected) =
        check_migration_matrix(&common::fixture("history"), earlier, later).await;
    assert!(
        expected.keys().any(|(was, now)| was != now && was != "New"),
        "the fixture has customers who changed segment"
    );

    // One cell's list and CSV: the customers counted here, every column of customers.csv.
    let ((was, now), (customers, _, ids)) = expected
        .iter()
        .filter(|((was, now), _)| was != now && was != "New")
        .max_by_key(|(_, cell)| cell.0)
        .expect("a cell of movers");
    let query = format!(
        "from={earlier}&to={later}&was={}&now={}",
        was.replace(' ', "%20"),
        now.replace(' ', "%20")
    );
    let (status, listed) = text(&format!("{base}/changes?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    let noun = if *customers == 1 {
        "customer"
    } else {
        "customers"
    };
    assert!(listed.contains(&format!("{was} who moved to {now}: {customers} {noun}")));
    let table = listed
        .split("id=\"movers-table\"")
        .nth(1)
        .expect("the list");
    let table = table.split("</table>").next().expect("table end");
    let mut listed_ids: Vec<String> = table
        .split("<tr><td>")
        .skip(1)
        .map(|row| strip_tags(row.split("</td>").next().expect("id cell")))
        .collect();
    listed_ids.sort();
    let mut wanted_ids = ids.clone();
    wanted_ids.sort();
    assert_eq!(listed_ids, wanted_ids);
    let (status, csv) = text(&format!("{base}/api/changes.csv?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut exported = common::csv_column(&csv, "customer_id");
    exported.sort();
    assert_eq!(exported, wanted_ids);
    let (header, _) = read_csv(&csv);
    let (file_header, _) = read_csv(
        &std::fs::read_to_string(common::fixture("history").join(later).join("customers.csv"))
            .expect("customers.csv"),
    );
    assert_eq!(header, file_header, "every column of the later run");
}

/// A customer of the earlier run missing from the later one (data deleted on request,
/// another source) lands in the `Gone` column with the net spend of the earlier run.
#[tokio::test]
async fn customers_missing_from_the_later_run_are_counted_as_gone() {
    let (earlier, later) = ("2011-05-15", "2011-06-15");
    let runs = common::history_copy();
    let file = runs.path().join(later).join("customers.csv");
    let text = std::fs::read_to_string(&file).expect("customers.csv");
    // Two customers of both runs, dropped from the later one.
    let in_earlier = segments_and_spend(runs.path(), earlier);
    let id_of = |line: &str| line.split(',').next().expect("an id").to_string();
    let gone: Vec<String> = text
        .lines()
        .skip(1)
        .map(id_of)
        .filter(|id| in_earlier.contains_key(id))
        .take(2)
        .collect();
    assert_eq!(gone.len(), 2, "the fixture's runs share customers");
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| !gone.contains(&id_of(line)))
        .collect();
    std::fs::write(&file, kept.join("\n") + "\n").expect("the shortened customers.csv");
    let (_, expected) = check_migration_matrix(runs.path(), earlier, later).await;
    let gone_cells: Vec<&Vec<String>> = expected
        .iter()
        .filter(|((_, now), _)| now == "Gone")
        .map(|(_, (_, _, ids))| ids)
        .collect();
    let mut counted: Vec<String> = gone_cells.into_iter().flatten().cloned().collect();
    counted.sort();
    let mut removed = gone.clone();
    removed.sort();
    assert_eq!(
        counted, removed,
        "the removed customers, and only they, are gone"
    );
}

#[tokio::test]
async fn the_figures_across_runs_are_the_run_files_figures() {
    let base = common::start_runs(&common::fixture("history")).await;
    let (status, page) = text(&format!("{base}/changes")).await;
    assert_eq!(status, StatusCode::OK);
    for run in ["2011-04-15", "2011-05-15", "2011-06-15"] {
        let folder = common::fixture("history").join(run);
        let csv = std::fs::read_to_string(folder.join("customers.csv")).expect("customers.csv");
        let numbers = |column: &str| -> Vec<f64> {
            common::csv_column(&csv, column)
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| v.parse().expect("a number"))
                .collect()
        };
        let manifest: Value =
            serde_json::from_str(&file_in(&folder, "manifest.json")).expect("manifest");
        let horizon = manifest["horizon_days"].as_f64().expect("horizon_days");
        let customers = numbers("recency_days").len() as f64;
        let share = |n: usize| format!("{:.1}%", 100.0 * n as f64 / customers);
        let active = numbers("recency_days")
            .iter()
            .filter(|&&d| d <= horizon)
            .count();
        let repeat = numbers("frequency").iter().filter(|&&f| f >= 2.0).count();
        let probabilities = numbers("purchase_probability");
        let mean = probabilities.iter().sum::<f64>() / probabilities.len() as f64;
        let metrics: Value =
            serde_json::from_str(&file_in(&folder, "metrics.json")).expect("metrics");
        let served = metrics["models"]
            .as_array()
            .expect("models")
            .iter()
            .find(|m| m["name"] == metrics["chosen"])
            .expect("the served model");
        let expected = vec![
            run.to_string(),
            run.to_string(),
            format!("{customers}"),
            share(active),
            whole_pounds(numbers("gross_spend").iter().sum()),
            share(repeat),
            format!("{:.1}%", 100.0 * mean),
            format!("{:.3}", served["roc_auc"].as_f64().expect("roc_auc")),
        ];
        let row = page
            .split(&format!("<tr data-run=\"{run}\">"))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .expect("the run's row");
        let cells: Vec<String> = row
            .split("</td>")
            .filter(|c| !c.is_empty())
            .map(strip_tags)
            .collect();
        assert_eq!(cells, expected, "{run}");
    }
}

fn file_in(folder: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(folder.join(name)).expect(name)
}

/// The text of an HTML fragment without its tags, entities of numbers kept as written.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// A campaign list ("At Risk with CLV of at least X", "the top 5 % by probability"):
/// the list, its pages and its CSV export hold exactly the customers counted here from
/// customers.csv, and the page says what it filtered.
#[tokio::test]
async fn campaign_filters_keep_exactly_the_customers_counted_from_the_file() {
    let run = "scored-run";
    let csv_text = file(run, "customers.csv");
    let ids = common::csv_column(&csv_text, "customer_id");
    let segments = common::csv_column(&csv_text, "rfm_segment");
    let number = |column: &str| -> Vec<Option<f64>> {
        common::csv_column(&csv_text, column)
            .iter()
            .map(|v| v.parse().ok())
            .collect()
    };
    let (clv, probability) = (number("clv_12m"), number("purchase_probability"));
    // The segment with the most customers, and the median CLV among them.
    let segment = segments
        .iter()
        .max_by_key(|s| segments.iter().filter(|t| t == s).count())
        .expect("a segment")
        .clone();
    let mut in_segment: Vec<f64> = (0..ids.len())
        .filter(|&i| segments[i] == segment)
        .filter_map(|i| clv[i])
        .collect();
    in_segment.sort_by(f64::total_cmp);
    let threshold = in_segment[in_segment.len() / 2];
    let mut expected: Vec<String> = (0..ids.len())
        .filter(|&i| segments[i] == segment && clv[i].is_some_and(|v| v >= threshold))
        .map(|i| ids[i].clone())
        .collect();
    expected.sort();
    assert!(expected.len() > 1 && expected.len() < in_segment.len());

    let base = common::start(run).await;
    let filter = format!(
        "segment={}&min_clv_12m={threshold}",
        segment.replace(' ', "%20").replace('\'', "%27")
    );
    let listed = |query: String| {
        let base = base.clone();
        async move {
            let response = reqwest::get(format!("{base}/api/customers?{query}&per_page=500"))
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let page: Value = response.json().await.expect("json");
            let ids: Vec<String> = page["customers"]
                .as_array()
                .expect("customers")
                .iter()
                .map(|c| c["customer_id"].as_str().expect("id").to_string())
                .collect();
            (page["total"].as_u64().expect("total") as usize, ids)
        }
    };
    let (total, mut api) = listed(filter.clone()).await;
    api.sort();
    assert_eq!((total, &api), (expected.len(), &expected), "{filter}");
    let (status, export) = text(&format!("{base}/api/customers.csv?{filter}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut exported = common::csv_column(&export, "customer_id");
    exported.sort();
    assert_eq!(exported, expected, "the export is the list");
    let (status, page) = text(&format!("{base}/customers?{filter}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("<b>{}</b> customers: segment", expected.len())),
        "the page counts the list"
    );
    assert!(page.contains(&format!("Export these {} as CSV", expected.len())));

    // The top 5 %: rounded up to whole customers, none of the rest above them.
    let scored: Vec<f64> = probability.iter().flatten().copied().collect();
    let keep = (ids.len() as f64 * 0.05).ceil() as usize;
    let (total, top) = listed("top=5&sort=purchase_probability".to_string()).await;
    assert_eq!((total, top.len()), (keep, keep));
    let of = |id: &String| probability[ids.iter().position(|i| i == id).expect("id")];
    let lowest_kept = top.iter().filter_map(of).fold(f64::INFINITY, f64::min);
    let above = scored.iter().filter(|&&p| p > lowest_kept).count();
    assert!(
        above < keep,
        "{above} customers score above the list's lowest {lowest_kept}"
    );
    let (status, export) = text(&format!(
        "{base}/api/customers.csv?top=5&sort=purchase_probability"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(common::csv_column(&export, "customer_id").len(), keep);
}
