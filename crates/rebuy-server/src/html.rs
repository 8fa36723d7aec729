//! The page frame, the chart helper and text formatting shared by the pages.

use crate::auth::sessions::SignedIn;
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
}

impl Page {
    const ALL: [Page; 5] = [
        Page::Overview,
        Page::Segments,
        Page::Customers,
        Page::Models,
        Page::Predict,
    ];

    fn title(self) -> &'static str {
        match self {
            Page::Overview => "Overview",
            Page::Segments => "Segments",
            Page::Customers => "Customers",
            Page::Models => "Models",
            Page::Predict => "Predict",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Page::Overview => "/",
            Page::Segments => "/segments",
            Page::Customers => "/customers",
            Page::Models => "/models",
            Page::Predict => "/predict",
        }
    }
}

pub(crate) const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;background:#f4f6f9;font-size:15px}
header{background:#1e3a5f;color:#fff;padding:0 24px;display:flex;align-items:center;gap:28px;height:56px}
header .brand{font-weight:700;font-size:19px;letter-spacing:.3px}
header nav a{color:#cbd5e1;text-decoration:none;margin-right:18px;padding:17px 2px;border-bottom:3px solid transparent}
header nav a.active,header nav a:hover{color:#fff;border-bottom-color:#f59e0b}
header .run{margin-left:auto;color:#cbd5e1;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:24px;margin:8px 0 4px}
h2{font-size:18px;margin:28px 0 10px}
p.lead{color:#4b5563;margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px}
.cards.headline{grid-template-columns:repeat(auto-fit,minmax(230px,1fr))}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{color:#6b7280;font-size:13px}
.card .value{font-size:24px;font-weight:650;margin-top:4px;white-space:nowrap}
.card .value.long{font-size:19px;padding-top:3px}
.card .sub{color:#6b7280;font-size:12px;margin-top:2px}
.panel{overflow-x:auto;background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08);margin-bottom:14px}
.chart{width:100%;height:340px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.picture svg{width:100%;height:auto}
@media (max-width:900px){.two{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
th,td{padding:7px 9px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600;color:#374151;white-space:nowrap}
table.segments th,#customer-table th,#cluster-profiles th{white-space:normal}
#cluster-profiles td:first-child{white-space:nowrap}
#customer-table td.name{white-space:nowrap}
table.segments td.action{min-width:260px}
table.segments th.num{min-width:84px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#f9fafb}
th a{color:inherit;text-decoration:none}
th a:hover{text-decoration:underline}
.note{background:#fffbeb;border:1px solid #fcd34d;border-radius:8px;padding:12px 16px;margin:10px 0 14px;color:#78350f}
.note code,code{background:#f3f4f6;padding:1px 5px;border-radius:4px;color:#111827}
.error{background:#fef2f2;border:1px solid #fca5a5;color:#7f1d1d}
form.inline{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0 12px}
input,select,button{font:inherit;padding:6px 10px;border:1px solid #cbd5e1;border-radius:6px;background:#fff}
button,.button{background:#1e3a5f;color:#fff;border-color:#1e3a5f;cursor:pointer;text-decoration:none;padding:6px 12px;border-radius:6px;display:inline-block}
.pager{display:flex;gap:10px;align-items:center;margin:10px 0}
.pager a{color:#1e3a5f}
.muted{color:#6b7280}
.pill{display:inline-block;white-space:nowrap;background:#e0e7ff;color:#3730a3;border-radius:999px;padding:1px 9px;font-size:13px}
dl.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr max-content 1fr;gap:4px 18px;margin:0}
dl.facts dt{color:#6b7280}
.matrices{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:14px}
.matrices .panel{overflow-x:visible}
table.confusion{margin-top:8px;width:auto}
table.confusion th,table.confusion td{padding:4px 10px}
#result .cards{grid-template-columns:repeat(2,1fr)}
#result .card .value{font-size:20px}
header .account{display:flex;align-items:center;gap:10px;color:#cbd5e1;font-size:13px}
header .account form{margin:0}
header .account button{background:transparent;border-color:#94a3b8;color:#fff;padding:3px 10px;font-size:13px}
.login{max-width:380px;margin:64px auto;background:#fff;border-radius:8px;padding:22px 26px 26px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.login label{display:block;margin:14px 0 4px;font-size:14px}
.login input{width:100%}
.login button{margin-top:18px;width:100%}
table.confusion caption{text-align:left;color:#6b7280;font-size:13px;padding:2px 0 4px}
form.fields,.fields{display:grid;grid-template-columns:max-content 1fr;gap:8px 12px;align-items:center}
.fields label span{display:block;font-size:12px}
.fields details{grid-column:1/-1}
.fields details summary{cursor:pointer;color:#1e3a5f;margin:4px 0 8px}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
"#;

/// Runs before the chart library so that its load errors are recorded too; the
/// browser tests read `window.rebuyErrors` (uncaught errors, failed loads, console errors).
const HEAD_SCRIPT: &str = r#"<script>
window.rebuyErrors=[];
window.addEventListener('error',function(e){
  var what=e.message||('could not load '+((e.target&&(e.target.src||e.target.href))||'a resource'));
  window.rebuyErrors.push(String(what));
},true);
(function(){var original=console.error;console.error=function(){
  window.rebuyErrors.push(Array.prototype.join.call(arguments,' '));original.apply(console,arguments);};})();
</script>"#;

/// The chart helper and the money formatter of the page script. An option with a
/// `rebuyMoney` key (`{"axis": "y"}` or `"x"`) gets its tooltip values and that axis's
/// labels written as money by `rebuyMoney`, the twin of [`crate::money::Money::format`].
const CHART_SCRIPT: &str = r#"<script>
function rebuyMoney(value, decimals){
  if(value===null||value===undefined||isNaN(value)){return '';}
  var style=window.rebuyMoneyStyle||{prefix:'',suffix:''};
  var places=(decimals===undefined)?2:decimals;
  var number=Math.abs(Number(value)).toLocaleString('en-US',{minimumFractionDigits:places,maximumFractionDigits:places});
  var sign=(Number(value)<0&&/[1-9]/.test(number))?'-':'';
  return sign+style.prefix+number+style.suffix;
}
function rebuyChart(id, option){
  var el=document.getElementById(id);
  var money=option.rebuyMoney;
  delete option.rebuyMoney;
  if(money){
    option.tooltip=option.tooltip||{};
    option.tooltip.valueFormatter=function(v){return rebuyMoney(v,2);};
    var axis=option[money.axis+'Axis'];
    if(axis){axis.axisLabel=axis.axisLabel||{};axis.axisLabel.formatter=function(v){return rebuyMoney(v,0);};}
  }
  var chart=echarts.init(el);
  chart.setOption(option);
  el.setAttribute('data-rendered','true');
  window.addEventListener('resize',function(){chart.resize();});
  return chart;
}
function rebuyHasWebGL(){
  try{var c=document.createElement('canvas');return !!(c.getContext('webgl')||c.getContext('experimental-webgl'));}
  catch(e){return false;}
}
</script>"#;

/// A full page: header with the menu (and who is signed in), then `body`; the chart
/// libraries from `/assets/`.
pub fn page(
    run: &RunData,
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
            format!("<a href=\"{}\"{class}>{}</a>", p.href(), p.title())
        })
        .collect();
    let gl = if with_3d {
        "<script src=\"/assets/echarts-gl.min.js\"></script>"
    } else {
        ""
    };
    let scripts = format!("<script src=\"/assets/echarts.min.js\"></script>{gl}");
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
    frame(run, active.title(), &menu, &scripts, body, &account)
}

/// The frame every page shares: head (style, error recorder, `scripts`, chart helper),
/// header with `menu`, the run's name and `account` (HTML, may be empty), then `body`.
pub fn frame(
    run: &RunData,
    title: &str,
    menu: &str,
    scripts: &str,
    body: &str,
    account: &str,
) -> String {
    let as_of = run
        .manifest
        .as_of
        .as_deref()
        .map(|d| format!(" &middot; as of {}", escape(d)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} &middot; rebuy</title><style>{STYLE}</style>{HEAD_SCRIPT}\
{scripts}<script>window.rebuyMoneyStyle={money};</script>{CHART_SCRIPT}</head><body>\
<header><span class=\"brand\">rebuy</span><nav>{menu}</nav>\
<span class=\"run\">run <b>{run_name}</b>{as_of}</span>{account}</header><main>{body}</main></body></html>",
        title = escape(title),
        run_name = escape(&run.name()),
        money = script_json(&run.money.script_style()),
    )
}

pub fn respond(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// A chart container and the script that draws `option` in it.
pub fn chart(id: &str, option: &serde_json::Value, height_px: u32) -> String {
    format!(
        "<div class=\"chart\" id=\"{id}\" data-chart style=\"height:{height_px}px\"></div>\
<script>rebuyChart(\"{id}\", {});</script>",
        script_json(option)
    )
}

/// JSON that is safe inside a `<script>` element.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace("</", "<\\/")
}

pub fn note(html: &str) -> String {
    format!("<div class=\"note\">{html}</div>")
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
        assert_eq!(url_encode("Can't Lose"), "Can%27t%20Lose");
    }
}
