//! Sign-in for `rebuy serve --users FILE`: every page and API route but
//! `GET /api/health` (and the chart libraries under `/assets/`) needs a browser session
//! (the login page at `/login`) or an API token (`Authorization: Bearer TOKEN`).
//!
//! - Pages without a session redirect to `/login?next=PAGE`; the API answers 401 with
//!   the JSON error body and `WWW-Authenticate: Bearer`.
//! - The session cookie is `HttpOnly`, `SameSite=Strict` (a cross-site form cannot use
//!   it) and `Secure` under TLS; sessions end when idle or old ([`sessions`]).
//! - Wrong passwords: the same answer for an unknown user, a constant-time check, and a
//!   growing wait per address and per user name ([`throttle`]).
//! - The users file is re-read when it changes (at most every [`RECHECK_USERS`]), so
//!   `rebuy users remove` or a new password ends that user's sessions without a restart.
//! - The server log records each sign-in, failed sign-in, sign-out and CSV download
//!   with the user's name.

mod login_page;
pub mod sessions;
mod throttle;
pub mod users;

use crate::error::ApiError;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form};
use serde::Deserialize;
use sessions::{LONGEST_SESSION, Sessions, SignedIn};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use throttle::Throttle;
use tokio::sync::Semaphore;
use users::{UsersError, UsersFile};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rebuy_session";
/// How often the users file's modification time is looked at.
pub const RECHECK_USERS: Duration = Duration::from_secs(2);
/// Password checks run at once: argon2id takes ~19 MiB and tens of milliseconds each,
/// so a flood of sign-ins queues here instead of taking the machine's memory and cores.
const PASSWORD_CHECKS_AT_ONCE: usize = 2;
/// Largest login form read (a user name and a password).
const MAX_LOGIN_BYTES: usize = 4 * 1024;

/// Who may sign in, and who has.
#[derive(Debug)]
pub struct Auth {
    users: UsersSource,
    sessions: Sessions,
    throttle: Throttle,
    password_checks: Semaphore,
    /// Cookies get `Secure` (sent over HTTPS only) when the server speaks TLS.
    secure_cookies: bool,
}

impl Auth {
    /// Reads the users file (it must exist; an empty one signs nobody in).
    pub fn load(path: &Path, secure_cookies: bool) -> Result<Auth, UsersError> {
        Ok(Auth {
            users: UsersSource::load(path)?,
            sessions: Sessions::default(),
            throttle: Throttle::default(),
            password_checks: Semaphore::new(PASSWORD_CHECKS_AT_ONCE),
            secure_cookies,
        })
    }

    /// How many users may sign in (for the start-up line).
    pub fn user_count(&self) -> usize {
        self.users.current().users.len()
    }

    fn signed_in(&self, headers: &HeaderMap) -> Option<SignedIn> {
        let users = self.users.current();
        if let Some(token) = bearer_token(headers) {
            return users.check_token(token).map(|u| SignedIn {
                user: u.name.clone(),
                role: u.role,
            });
        }
        let id = session_cookie(headers)?;
        self.sessions
            .find(id, Instant::now(), |name| users.find(name))
    }

    fn cookie(&self, value: &str, max_age: Duration) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let text = format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            max_age.as_secs()
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The users file as last read, and when its modification time was last looked at.
#[derive(Debug)]
struct UsersSource {
    path: PathBuf,
    state: Mutex<LoadedUsers>,
}

#[derive(Debug)]
struct LoadedUsers {
    file: Arc<UsersFile>,
    modified: Option<SystemTime>,
    checked: Instant,
}

impl UsersSource {
    fn load(path: &Path) -> Result<UsersSource, UsersError> {
        Ok(UsersSource {
            path: path.to_path_buf(),
            state: Mutex::new(LoadedUsers {
                file: Arc::new(UsersFile::load(path, false)?),
                modified: modified(path),
                checked: Instant::now(),
            }),
        })
    }

    /// Today's users: re-read when the file changed; a damaged or missing file keeps
    /// the last good one (with a warning), so a half-edited file locks nobody out.
    fn current(&self) -> Arc<UsersFile> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= RECHECK_USERS {
            state.checked = Instant::now();
            let now_modified = modified(&self.path);
            if now_modified != state.modified {
                match UsersFile::load(&self.path, false) {
                    Ok(file) => {
                        tracing::info!("users file {} re-read", self.path.display());
                        state.file = Arc::new(file);
                        state.modified = now_modified;
                    }
                    Err(error) => tracing::warn!("keeping the users read before: {error}"),
                }
            }
        }
        Arc::clone(&state.file)
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The login and sign-out routes.
pub fn router(auth: Arc<Auth>) -> Router {
    Router::new()
        .route("/login", get(login_form).post(sign_in))
        .route("/logout", post(sign_out))
        .layer(DefaultBodyLimit::max(MAX_LOGIN_BYTES))
        .with_state(auth)
}

/// The middleware in front of every route: lets the public ones through, signs the
/// others in from their token or cookie, or refuses them.
pub async fn require_sign_in(
    State(auth): State<Arc<Auth>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let public = (path == "/api/health" && request.method() == Method::GET)
        || path == "/login"
        || path.starts_with("/assets/");
    if public {
        return next.run(request).await;
    }
    let is_api = path.starts_with("/api/");
    let Some(signed_in) = auth.signed_in(request.headers()) else {
        if is_api {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "sign in first: send `Authorization: Bearer TOKEN` (made by `rebuy users \
                 token`) or sign in on the login page",
            )
            .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rebuy\""),
            );
            return response;
        }
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let next_query: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next_query}")).into_response();
    };
    if path.ends_with(".csv") {
        tracing::info!(
            user = %signed_in.user,
            "export {} {}",
            request.method(),
            request.uri()
        );
    }
    request.extensions_mut().insert(signed_in);
    next.run(request).await
}

async fn login_form(
    State(auth): State<Arc<Auth>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let next = local_target(query.get("next").map(String::as_str));
    if auth.signed_in(&headers).is_some() {
        return Redirect::to(next).into_response();
    }
    login_page::respond(StatusCode::OK, next, "", None)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(State(auth): State<Arc<Auth>>, request: Request) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    let form = match Form::<LoginForm>::from_request(request, &()).await {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return login_page::respond(
                rejection.status(),
                "/",
                "",
                Some("The sign-in form was not understood: send user and password."),
            );
        }
    };
    let next = local_target(Some(&form.next));
    // The name as typed is only a key and a log entry: cut it to the longest valid name.
    let name: String = form.user.trim().chars().take(64).collect();
    let keys = [format!("address {address}"), format!("user {name}")];
    if let Some(wait) = auth.throttle.wait(&keys, Instant::now()) {
        tracing::warn!("sign-in of {name:?} from {address} refused: locked after wrong passwords");
        let seconds = wait.as_millis().div_ceil(1000).max(1);
        let mut response = login_page::respond(
            StatusCode::TOO_MANY_REQUESTS,
            next,
            &name,
            Some(&format!(
                "Too many wrong passwords: try again in {seconds} s."
            )),
        );
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let checked = {
        let Ok(_permit) = auth.password_checks.acquire().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let users = auth.users.current();
        let (typed, password) = (name.clone(), form.password);
        tokio::task::spawn_blocking(move || users.check_password(&typed, &password).cloned())
            .await
            .ok()
            .flatten()
    };
    let Some(user) = checked else {
        auth.throttle.failed(&keys, Instant::now());
        tracing::warn!("wrong user name or password: {name:?} from {address}");
        return login_page::respond(
            StatusCode::UNAUTHORIZED,
            next,
            &name,
            Some("Wrong user name or password."),
        );
    };
    auth.throttle.succeeded(&keys);
    let id = auth.sessions.start(&user, Instant::now());
    tracing::info!(user = %user.name, role = %user.role, "signed in from {address}");
    let mut response = Redirect::to(next).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth.cookie(&id, LONGEST_SESSION));
    response
}

async fn sign_out(
    State(auth): State<Arc<Auth>>,
    signed_in: Option<Extension<SignedIn>>,
    headers: HeaderMap,
) -> Response {
    if let Some(id) = session_cookie(&headers) {
        auth.sessions.end(id);
    }
    if let Some(Extension(who)) = signed_in {
        tracing::info!(user = %who.user, "signed out");
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, auth.cookie("", Duration::ZERO));
    response
}

/// Where to go after signing in: a path on this server, never another site
/// (`//evil.example` or `https://...` would make the login page an open redirect).
fn local_target(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_sends_people_only_to_pages_of_this_server() {
        assert_eq!(local_target(Some("/segments?x=1")), "/segments?x=1");
        for outside in ["//evil.example", "https://evil.example", "/\\evil", "", "x"] {
            assert_eq!(local_target(Some(outside)), "/", "{outside}");
        }
        assert_eq!(local_target(None), "/");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; rebuy_session=abc123; other=1"),
        );
        assert_eq!(session_cookie(&headers), Some("abc123"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer rebuy_x"),
        );
        assert_eq!(bearer_token(&headers), Some("rebuy_x"));
    }
}
