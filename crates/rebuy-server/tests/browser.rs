//! Every page in headless Chromium: charts render, nothing logs an error or a
//! Content-Security-Policy refusal (also with a tooltip shown), the policy refuses an
//! injected script, every resource comes from the server itself (offline), and
//! screenshots are saved under
//! `$CARGO_TARGET_TMPDIR/screenshots/` for a person to look at.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`scripts/test`
//! installs them when `/usr/bin/chromedriver` is missing).

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.process.kill().ok();
        self.process.wait().ok();
    }
}

fn start_driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: apt-get install -y chromium chromium-driver (scripts/test does this)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let process = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        // Software WebGL, so the 3D cluster plot is exercised too.
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--window-size=1366,900",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({"binary": CHROMIUM, "args": args}),
    );
    // With the three browser tests starting a chromedriver and a Chromium each on two
    // busy cores, a driver that already listens can still reset the first session
    // request (seen in CI): try again a few times before calling it a failure.
    let mut attempt = 1;
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(error) if attempt < 5 => {
                eprintln!("Chromium session, attempt {attempt}: {error}; trying again");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(error) => panic!("a Chromium session: {error}"),
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Opens a page, waits for its charts, checks them and saves a full-page screenshot.
async fn check_page(client: &Client, base: &str, path: &str, charts: &[&str], name: &str) {
    client
        .goto(&format!("{base}{path}"))
        .await
        .expect("page opens");
    let started = Instant::now();
    let charts_state = loop {
        let state = client
            .execute(
                "return Array.from(document.querySelectorAll('[data-chart]')).map(function(e){\
                   return [e.id, e.getAttribute('data-rendered'), e.querySelectorAll('canvas').length];});",
                vec![],
            )
            .await
            .expect("script runs");
        let all_drawn = state.as_array().is_some_and(|charts| {
            charts
                .iter()
                .all(|c| c[1] == "true" && c[2].as_u64() > Some(0))
        });
        if all_drawn || started.elapsed() > Duration::from_secs(10) {
            break state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let drawn: Vec<&str> = charts_state
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c[1] == "true" && c[2].as_u64() > Some(0))
        .filter_map(|c| c[0].as_str())
        .collect();
    for chart in charts {
        if !drawn.contains(chart) {
            let errors = client.execute("return window.rebuyErrors;", vec![]).await;
            panic!("{path}: chart {chart} not drawn: {charts_state}; errors: {errors:?}");
        }
    }
    // Let animations finish before the screenshot.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let errors = client
        .execute("return window.rebuyErrors;", vec![])
        .await
        .expect("script runs");
    assert_eq!(errors, json!([]), "{path}: errors in the page");
    // A tooltip too: ECharts' HTML tooltips would carry style attributes the
    // Content-Security-Policy refuses (the page script draws them on the canvas).
    let tooltip = client
        .execute(
            "var el=document.querySelector('[data-chart][data-rendered]');\
             if(!el){return 'no chart';}\
             echarts.getInstanceByDom(el).dispatchAction({type:'showTip',seriesIndex:0,dataIndex:0});\
             return el.id;",
            vec![],
        )
        .await
        .expect("script runs");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let errors = client
        .execute("return window.rebuyErrors;", vec![])
        .await
        .expect("script runs");
    assert_eq!(
        errors,
        json!([]),
        "{path}: errors after a tooltip on {tooltip}"
    );
    let foreign = client
        .execute(
            "return performance.getEntriesByType('resource').map(function(r){return r.name;})\
               .filter(function(n){return n.indexOf(location.origin) !== 0;});",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(foreign, json!([]), "{path}: loads resources from elsewhere");
    save_full_page(client, name).await;
}

/// Resizes the window to the page's height so the screenshot shows all of it.
async fn save_full_page(client: &Client, name: &str) {
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|h| h.as_u64())
        .unwrap_or(900)
        .clamp(600, 4000) as u32;
    client.set_window_size(1366, height + 140).await.ok();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save screenshot");
    client.set_window_size(1366, 900).await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_in_chromium() {
    let driver = start_driver();
    let profile = tempfile::tempdir().expect("profile folder");
    let client = browser(&driver, profile.path()).await;
    let today = common::start("run").await;
    let full = common::start("run-with-clusters").await;

    check_page(
        &client,
        &today,
        "/",
        &["customers-by-month", "active-vs-lapsed"],
        "overview",
    )
    .await;
    check_page(
        &client,
        &today,
        "/segments",
        &["segment-map", "segment-shares"],
        "segments",
    )
    .await;
    check_page(&client, &today, "/customers", &[], "customers").await;
    the_policy_refuses_an_injected_script(&client).await;
    check_page(&client, &today, "/models", &[], "models-no-metrics").await;
    check_page(
        &client,
        &full,
        "/",
        &["revenue-by-month", "customers-by-month", "active-vs-lapsed"],
        "overview-full-run",
    )
    .await;
    check_page(
        &client,
        &full,
        "/segments",
        &[
            "segment-map",
            "segment-shares",
            "cluster-scatter",
            "cluster-elbow",
            "cluster-silhouette",
        ],
        "segments-with-clusters",
    )
    .await;

    let demo = common::start("demo-run").await;
    check_page(
        &client,
        &demo,
        "/segments",
        &[
            "segment-map",
            "segment-shares",
            "cluster-scatter",
            "cluster-elbow",
            "cluster-silhouette",
        ],
        "segments-demo-run",
    )
    .await;
    check_page(
        &client,
        &demo,
        "/",
        &["customers-by-month", "active-vs-lapsed"],
        "overview-demo-run",
    )
    .await;

    // A real run cut by --as-of mid-month, with a currency: the partial month, the
    // two-period quality table and the choice of k are there for a person to look at.
    let cut = common::start("as-of-run").await;
    check_page(
        &client,
        &cut,
        "/",
        &["revenue-by-month", "customers-by-month", "active-vs-lapsed"],
        "overview-as-of-run",
    )
    .await;
    let tooltip = client
        .execute(
            "return rebuyMoney(1234.5, 2) + ' ' + rebuyMoney(-0.001, 2);",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(
        tooltip,
        json!("£1,234.50 £0.00"),
        "the page script writes money as the pages do"
    );
    check_page(
        &client,
        &cut,
        "/segments",
        &[
            "segment-map",
            "segment-shares",
            "cluster-scatter",
            "cluster-elbow",
            "cluster-silhouette",
        ],
        "segments-as-of-run",
    )
    .await;
    check_page(&client, &cut, "/customers", &[], "customers-as-of-run").await;

    look_up_and_sort_customers(&client, &full).await;
    client.close().await.expect("session closes");
}

/// The Content-Security-Policy is in force: a script added to the page as text (what
/// an injection would do) does not run, and the refusal is recorded.
async fn the_policy_refuses_an_injected_script(client: &Client) {
    let ran = client
        .execute(
            "var s=document.createElement('script');s.textContent='window.rebuyInjected=true';\
             document.head.appendChild(s);return window.rebuyInjected===true;",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(ran, json!(false), "an inline script ran");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let errors = client
        .execute("return window.rebuyErrors;", vec![])
        .await
        .expect("script runs");
    assert!(
        errors
            .to_string()
            .contains("Content-Security-Policy refused"),
        "the refusal is recorded: {errors}"
    );
}

/// The Customers page as a person uses it: search an id, sort a column, filter a segment.
async fn look_up_and_sort_customers(client: &Client, base: &str) {
    client
        .goto(&format!("{base}/customers"))
        .await
        .expect("page opens");
    let input = client
        .find(Locator::Id("customer-id"))
        .await
        .expect("search box");
    input.send_keys("12353\n").await.expect("typing");
    let card = client
        .wait()
        .for_element(Locator::Id("customer-card"))
        .await
        .expect("customer card");
    let text = card.text().await.expect("card text");
    assert!(
        text.contains("Customer 12353") && text.contains("Potential Loyalists"),
        "{text}"
    );
    save_full_page(client, "customer-lookup").await;

    let first_cell = "return document.querySelector('#customer-table tr:nth-child(2) td:nth-child(5)').textContent;";
    client
        .find(Locator::LinkText("orders"))
        .await
        .expect("orders heading")
        .click()
        .await
        .expect("sort by orders");
    let most_orders = client.execute(first_cell, vec![]).await.expect("cell");
    let max_orders = client
        .execute(
            "return Math.max.apply(null, Array.from(document.querySelectorAll('#customer-table tr td:nth-child(5)'))\
               .map(function(td){return Number(td.textContent.replace(/,/g,''));}));",
            vec![],
        )
        .await
        .expect("column");
    assert_eq!(
        most_orders.as_str().and_then(|s| s.parse::<f64>().ok()),
        max_orders.as_f64(),
        "sorted by orders, largest first"
    );

    client
        .find(Locator::Css("select#segment option[value='Champions']"))
        .await
        .expect("segment option")
        .click()
        .await
        .expect("choose a segment");
    wait_for_address(client, "segment=Champions").await;
    let segments: Value = client
        .execute(
            "return Array.from(document.querySelectorAll('#customer-table tr td:nth-child(2)')).map(function(td){return td.textContent;});",
            vec![],
        )
        .await
        .expect("segment column");
    let segments = segments.as_array().expect("cells");
    assert!(
        !segments.is_empty() && segments.iter().all(|s| s == "Champions"),
        "{segments:?}"
    );
    save_full_page(client, "customers-champions").await;

    // A campaign list: Champions who bought in the last 30 days, kept across the submit.
    type_into(client, Locator::Id("max_recency_days"), "30").await;
    click(
        client,
        Locator::Css("#customers-filter button[type='submit']"),
    )
    .await;
    let url = wait_for_address(client, "max_recency_days=30").await;
    assert!(url.contains("segment=Champions"), "{url}");
    let described = client
        .find(Locator::Id("filtered"))
        .await
        .expect("the list's description")
        .text()
        .await
        .expect("text");
    assert!(
        described.contains("segment Champions") && described.contains("at most 30"),
        "{described}"
    );
    save_full_page(client, "customers-filtered").await;
}

/// Clicks an element of the page.
async fn click(client: &Client, locator: Locator<'_>) {
    let element = client
        .find(locator)
        .await
        .expect("the element is on the page");
    element.click().await.expect("click");
}

/// Types into a field (a file input takes a path).
async fn type_into(client: &Client, locator: Locator<'_>, text: &str) {
    let element = client
        .find(locator)
        .await
        .expect("the field is on the page");
    element.send_keys(text).await.expect("typing");
}

/// Waits (after a form is sent) until the page's address contains `part`, and returns it.
async fn wait_for_address(client: &Client, part: &str) -> String {
    let started = Instant::now();
    loop {
        let url = client.current_url().await.expect("url").to_string();
        if url.contains(part) {
            return url;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the filter did not apply: {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (after a click that navigates) until the page's path is no longer `from`, and
/// returns it.
async fn settled_path(client: &Client, from: &str) -> String {
    let started = Instant::now();
    loop {
        let url = client.current_url().await.expect("url");
        if url.path() != from || started.elapsed() > Duration::from_secs(10) {
            return url.path().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element's `data-state` is no longer `empty` and returns it.
async fn settled_state(client: &Client, id: &str) -> String {
    let script = format!("return document.getElementById('{id}').getAttribute('data-state');");
    let started = Instant::now();
    loop {
        let state = client.execute(&script, vec![]).await.expect("script runs");
        if state != "empty" || started.elapsed() > Duration::from_secs(10) {
            return state.as_str().unwrap_or_default().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Models page's charts, then the Predict page as a person uses it: type a
/// customer and read the result, upload a small CSV and read the scored preview.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_and_predict_pages_in_chromium() {
    let driver = start_driver();
    let profile = tempfile::tempdir().expect("profile folder");
    let client = browser(&driver, profile.path()).await;
    let base = common::start("scored-run").await;
    check_page(
        &client,
        &base,
        "/models",
        &[
            "roc-chart",
            "pr-chart",
            "calibration-chart",
            "gains-chart",
            "lift-chart",
            "importance-chart",
        ],
        "models",
    )
    .await;
    check_page(&client, &base, "/predict", &[], "predict").await;

    for (field, value) in [
        ("f-recency_days", "4"),
        ("f-frequency", "15"),
        ("f-monetary", "6000"),
    ] {
        let input = client.find(Locator::Id(field)).await.expect(field);
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("typing");
    }
    type_into(&client, Locator::Id("f-tenure_days"), "500").await;
    click(&client, Locator::Id("predict-button")).await;
    assert_eq!(settled_state(&client, "result").await, "done");
    let text = client
        .find(Locator::Id("result"))
        .await
        .expect("result")
        .text()
        .await
        .expect("result text");
    assert!(
        text.contains("Purchase probability")
            && text.contains("P(alive)")
            && text.contains("Champions")
            && text.contains("in the next 90 days")
            && text.contains("Answered by rfm_only")
            && text.contains("Used for P(alive) and CLV only: tenure_days"),
        "{text}"
    );

    let folder = tempfile::tempdir().expect("upload folder");
    let upload = folder.path().join("customers.csv");
    std::fs::write(
        &upload,
        "customer_id,recency_days,frequency,monetary\nA-1,4,15,6000\nA-2,400,1,35.5\nA-3,60,3,410\n",
    )
    .expect("write upload");
    type_into(
        &client,
        Locator::Id("batch-file"),
        &upload.display().to_string(),
    )
    .await;
    click(&client, Locator::Id("batch-button")).await;
    assert_eq!(settled_state(&client, "batch-result").await, "done");
    let preview: Value = client
        .execute(
            "return Array.from(document.querySelectorAll('#batch-preview tr')).map(function(tr){\
               return Array.from(tr.children).map(function(c){return c.textContent;});});",
            vec![],
        )
        .await
        .expect("preview");
    let rows = preview.as_array().expect("rows");
    assert_eq!(rows.len(), 4, "{preview}");
    assert_eq!(
        rows[0],
        json!([
            "customer_id",
            "recency_days",
            "frequency",
            "monetary",
            "purchase_probability",
            "churn_risk",
            "probability_percentile",
            "model",
            "model_test_roc_auc",
            "outside_training_range"
        ])
    );
    assert_eq!(rows[1][0], "A-1");
    assert_eq!(rows[1][7], "rfm_only");
    // Long decimals are shortened for the preview (three significant digits below 1).
    for row in &rows[1..] {
        let probability = row[4].as_str().expect("text");
        let value: f64 = probability.parse().expect("a number");
        assert!(
            probability.len() <= 6 && (0.0..=1.0).contains(&value),
            "{probability}"
        );
    }
    let href = client
        .find(Locator::Id("batch-download"))
        .await
        .expect("download link")
        .attr("href")
        .await
        .expect("href");
    assert!(href.is_some_and(|h| h.starts_with("blob:")));
    let errors = client
        .execute("return window.rebuyErrors;", vec![])
        .await
        .expect("script runs");
    assert_eq!(errors, json!([]), "errors in the Predict page");
    save_full_page(&client, "predict-filled").await;

    // The same run's report.html, opened from disk: every chart drawn, nothing fetched.
    let run = rebuy_server::RunData::load(&common::fixture("scored-run")).expect("loads");
    let report = folder.path().join("report.html");
    std::fs::write(&report, rebuy_server::report_html(&run)).expect("write report");
    check_page(
        &client,
        "file://",
        &report.display().to_string(),
        &[
            "customers-by-month",
            "segment-map",
            "cluster-scatter",
            "roc-chart",
            "gains-chart",
            "importance-chart",
        ],
        "report",
    )
    .await;
    client.close().await.expect("session closes");
}

/// Signing in as a person does, on a server with a users file: a page sends Chromium to
/// the login form, a wrong password says so, the right one lands on the page asked for
/// (charts drawn, the name and a sign-out button in the header), and signing out ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_and_out_in_chromium() {
    use rebuy_server::auth::Auth;
    use rebuy_server::auth::users::{Role, UsersFile};
    let folder = tempfile::tempdir().expect("temp dir");
    let users_file = folder.path().join("users.json");
    let mut users = UsersFile::new();
    users
        .add("ana", Role::Viewer, "correct horse battery")
        .expect("add");
    users.save(&users_file).expect("save");
    let auth = std::sync::Arc::new(Auth::load(&users_file, false).expect("users"));
    let run = rebuy_server::RunData::load(&common::fixture("run")).expect("fixture");
    let base =
        common::serve_router(rebuy_server::router(std::sync::Arc::new(run), Some(auth))).await;

    let driver = start_driver();
    let profile = tempfile::tempdir().expect("profile folder");
    let client = browser(&driver, profile.path()).await;
    client
        .goto(&format!("{base}/segments"))
        .await
        .expect("page opens");
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), "/login", "{url}");
    save_full_page(&client, "login").await;

    type_into(&client, Locator::Id("user"), "ana").await;
    type_into(&client, Locator::Id("password"), "not the password").await;
    click(&client, Locator::Css("form.login button")).await;
    let alert = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[role=alert]"))
        .await
        .expect("the error")
        .text()
        .await
        .expect("text");
    assert_eq!(alert, "Wrong user name or password.");
    save_full_page(&client, "login-wrong-password").await;

    let password = client.find(Locator::Id("password")).await.expect("field");
    password.clear().await.expect("clear");
    password
        .send_keys("correct horse battery")
        .await
        .expect("typing");
    click(&client, Locator::Css("form.login button")).await;
    assert_eq!(settled_path(&client, "/login").await, "/segments");
    check_page(
        &client,
        &base,
        "/segments",
        &["segment-map", "segment-shares"],
        "segments-signed-in",
    )
    .await;
    let account = client
        .find(Locator::Css("header .account"))
        .await
        .expect("who is signed in")
        .text()
        .await
        .expect("text");
    assert!(account.contains("ana (viewer)"), "{account}");

    click(&client, Locator::Css("header .account button")).await;
    assert_eq!(settled_path(&client, "/segments").await, "/login");
    client.goto(&format!("{base}/")).await.expect("page opens");
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), "/login", "signed out: {url}");
    client.close().await.ok();
}

/// Run history as a person uses it: pick an older run in the header, open Changes,
/// click a cell of the migration matrix and read its customers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pick_a_run_and_follow_a_migration_cell_in_chromium() {
    let driver = start_driver();
    let profile = tempfile::tempdir().expect("profile folder");
    let client = browser(&driver, profile.path()).await;
    let base = common::start_runs(&common::fixture("history")).await;
    client
        .goto(&format!("{base}/segments"))
        .await
        .expect("page opens");
    // The picker sends its form on change (the page script).
    client
        .execute(
            "var s=document.getElementById('run-picker');s.value='2011-05-15';\
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("script runs");
    let started = Instant::now();
    while !client
        .current_url()
        .await
        .expect("url")
        .query()
        .is_some_and(|q| q.contains("run=2011-05-15"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the picker did not navigate"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(&client, Locator::LinkText("Changes")).await;
    settled_path(&client, "/segments").await;
    check_page(
        &client,
        &base,
        "/changes?run=2011-05-15",
        &["trend-chart"],
        "changes",
    )
    .await;
    let summary = client
        .find(Locator::Id("migration-summary"))
        .await
        .expect("the summary")
        .text()
        .await
        .expect("text");
    assert!(
        summary.starts_with("From 2011-04-15 to 2011-05-15"),
        "the picked run against the one before: {summary}"
    );
    let cell = client
        .find(Locator::Css("#migration td:not(.kept) a[data-was]"))
        .await
        .expect("a cell of movers");
    let was = cell.attr("data-was").await.expect("attr").expect("was");
    let now = cell.attr("data-now").await.expect("attr").expect("now");
    cell.click().await.expect("click");
    let started = Instant::now();
    let heading = loop {
        if let Ok(movers) = client.find(Locator::Css("#movers h2")).await {
            break movers.text().await.expect("text");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no list after the click"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        heading.starts_with(&format!("{was} who moved to {now}")),
        "{heading}"
    );
    let rows = client
        .find_all(Locator::Css("#movers-table tr"))
        .await
        .expect("rows");
    assert!(rows.len() > 1, "the cell's customers are listed");
    let errors = client
        .execute("return window.rebuyErrors;", vec![])
        .await
        .expect("script runs");
    assert_eq!(errors, json!([]), "errors on the Changes page");
    save_full_page(&client, "changes-cell").await;
    client.close().await.ok();
}
