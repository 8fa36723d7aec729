//! The security headers of every answer, pages and API alike, and HSTS under TLS.
//!
//! The Content-Security-Policy lets a page run only the server's own files: scripts
//! and styles from `/assets/`, requests to the server itself, no inline script, style
//! element or style attribute (the pages pass their data in `<script
//! type="application/json">` elements, which are data and never run), no frames, no
//! plugins, no form posted elsewhere. A page cannot be framed by another site
//! (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers), a
//! browser does not guess a type other than the one sent (`nosniff`), and no address
//! of the dashboard leaks to another site in a `Referer` (`no-referrer`).

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The policy of every answer (docs/deploy.md, "Security headers").
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// HSTS: a browser that reached the server over HTTPS uses HTTPS only for a year.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Adds the security headers to an answer (for `axum::middleware::map_response`).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `app` with HSTS on every answer: only for a server that speaks HTTPS alone.
pub fn with_hsts(app: Router) -> Router {
    app.layer(axum::middleware::map_response(
        |mut response: Response| async move {
            response.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            );
            response
        },
    ))
}
