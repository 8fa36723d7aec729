//! The login page: a form and the app's style sheet, no script, nothing about the run
//! (it is what a stranger sees).

use crate::html::{escape, respond as respond_html};
use axum::http::StatusCode;
use axum::response::Response;

/// The page with the form, `name` filled in again after a failure and `message` above it.
pub fn respond(status: StatusCode, next: &str, name: &str, message: Option<&str>) -> Response {
    let message = message
        .map(|m| {
            format!(
                "<div class=\"note error\" role=\"alert\">{}</div>",
                escape(m)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Sign in &middot; rebuy</title><link rel=\"stylesheet\" href=\"/assets/rebuy.css\"></head><body>\
<header><span class=\"brand\">rebuy</span></header><main>\
<form class=\"login\" method=\"post\" action=\"/login\"><h1>Sign in</h1>{message}\
<input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label for=\"user\">User name</label>\
<input id=\"user\" name=\"user\" value=\"{name}\" autocomplete=\"username\" required autofocus>\
<label for=\"password\">Password</label>\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\">Sign in</button>\
<p class=\"muted\">Accounts are made on the server with <code>rebuy users add</code>.</p>\
</form></main></body></html>",
        next = escape(next),
        name = escape(name),
    );
    respond_html(status, html)
}
