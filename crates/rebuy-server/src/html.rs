//! The page frame, the chart helper and text formatting shared by the pages.

use crate::assets::{self, Include};
use crate::auth::sessions::SignedIn;
use crate::history::picked::Picked;
use crate::run::RunData;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The dashboard's pages, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Overview,
    Segments,
    Customers,
    Models,
    Predict,
    Changes,
}

impl Page {
    const ALL: [Page; 6] = [
        Page::Overview,
        Page::Segments,
        Page::Customers,
        Page::Models,
        Page::Predict,
        Page::Changes,
    ];

    fn title(self) -> &'static str {
        match self {
            Page::Overview => "Overview",
            Page::Segments => "Segments",
            Page::Customers => "Customers",
            Page::Models => "Models",
            Page::Predict => "Predict",
            Page::Changes => "Changes",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Page::Overview => "/",
            Page::Segments => "/segments",
            Page::Customers => "/customers",
            Page::Models => "/models",
            Page::Predict => "/predict",
            Page::Changes => "/changes",
        }
    }
}

/// A full page: header with the menu, the run picker (and who is signed in), then
/// `body`; styles and scripts from `/assets/`.
pub fn page(
    picked: &Picked,
    signed_in: Option<&SignedIn>,
    active: Page,
    body: &str,
    with_3d: bool,
) -> String {
    let menu: String = Page::ALL
        .iter()
        .map(|p| {
            let class = if *p == active {
                " class=\"active\""
            } else {
                ""
            };
            format!(
                "<a href=\"{}\"{class}>{}</a>",
                escape(&picked.run.href(p.href())),
                p.title()
            )
        })
        .collect();
    let head = assets::head(Include::Linked, with_3d);
    let account = signed_in
        .map(|who| {
            format!(
                "<span class=\"account\">{} ({})<form method=\"post\" action=\"/logout\">\
<button type=\"submit\">Sign out</button></form></span>",
                escape(&who.user),
                who.role
            )
        })
        .unwrap_or_default();
    let picker = picked.picker(active.href());
    frame(
        &picked.run,
        active.title(),
        &menu,
        &head,
        body,
        &picker,
        &account,
    )
}

/// The run's name and as-of date, for a header without a picker (`report.html`).
pub fn run_name(run: &RunData) -> String {
    let as_of = run
        .manifest
        .as_of
        .as_deref()
        .map(|d| format!(" &middot; as of {}", escape(d)))
        .unwrap_or_default();
    format!(
        "<span class=\"run\">run <b>{}</b>{as_of}</span>",
        escape(&run.name())
    )
}

/// The frame every page shares: `head` (styles and scripts, [`assets::head`]) and the
/// run's currency for the page script, the header with `menu`, `run` (the run picker
/// or the run's name, [`run_name`]) and `account` (HTML, may be empty), then `body`.
pub fn frame(
    run: &RunData,
    title: &str,
    menu: &str,
    head: &str,
    body: &str,
    picker: &str,
    account: &str,
) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} &middot; rebuy</title>{head}{money}</head><body>\
<header><span class=\"brand\">rebuy</span><nav>{menu}</nav>\
{picker}{account}</header><main>{body}</main></body></html>",
        title = escape(title),
        money = json_element("id=\"rebuy-money-style\"", &run.money.script_style()),
    )
}

pub fn respond(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// A chart container and the data the page script draws in it (`option`, an ECharts
/// option).
pub fn chart(id: &str, option: &serde_json::Value, height_px: u32) -> String {
    format!(
        "<div class=\"chart\" id=\"{id}\" data-chart data-height=\"{height_px}\"></div>{}",
        json_element(&format!("data-chart-option=\"{id}\""), option)
    )
}

/// A `<script type="application/json">` element holding `value`: data for the page
/// script, which the browser never runs (so the CSP needs no exception for it).
/// `attribute` names it, e.g. `id="rebuy-money-style"`.
pub fn json_element(attribute: &str, value: &serde_json::Value) -> String {
    format!(
        "<script type=\"application/json\" {attribute}>{}</script>",
        script_json(value)
    )
}

/// JSON that is safe inside a `<script>` element: no `<` at all (JSON has it only in
/// strings, where `\u003c` reads the same), so neither `</script>` nor `<!--` can
/// change how the page is parsed.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

pub fn note(html: &str) -> String {
    format!("<div class=\"note\">{html}</div>")
}

/// A sentence (e.g. a fit's warning), escaped, with its `name` spans as code.
pub fn code_spans(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a query-string value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `1234567.8` -> `1,234,568`.
pub fn whole(value: f64) -> String {
    let rounded = value.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// `0.1234` -> `12.3%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// A number as short as it reads well: whole numbers without decimals, others with
/// up to three places, trailing zeros dropped.
pub fn short(value: f64) -> String {
    if value.fract() == 0.0 {
        return whole(value);
    }
    let text = decimal(value, 3);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number with `decimals` places and thousands separators.
pub fn decimal(value: f64, decimals: usize) -> String {
    if decimals == 0 {
        return whole(value);
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (integer, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}.{fraction}", whole(integer.parse().unwrap_or(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(whole(1234567.8), "1,234,568");
        assert_eq!(whole(-999.0), "-999");
        assert_eq!(decimal(1234.5, 2), "1,234.50");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(short(233.36), "233.36");
        assert_eq!(short(1200.0), "1,200");
    }

    #[test]
    fn text_cannot_break_out_of_html_or_script() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        let json = serde_json::json!({"name": "</script><script>alert(1)"});
        assert!(!script_json(&json).contains("</script>"));
        let read: serde_json::Value = serde_json::from_str(&script_json(&json)).expect("JSON");
        assert_eq!(read, json, "the escaped JSON reads the same");
        assert_eq!(url_encode("Can't Lose"), "Can%27t%20Lose");
    }
}
