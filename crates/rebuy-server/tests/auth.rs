//! Sign-in on a real server (loopback, real sockets): who gets in, how, and what a
//! stranger gets instead.

// Each test binary uses its own part of the helpers.
#[allow(dead_code)]
mod common;

use rebuy_server::auth::Auth;
use rebuy_server::auth::users::{Role, UsersFile};
use rebuy_server::{RunData, ServeOptions, ServerError, router};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE, WWW_AUTHENTICATE};
use std::path::Path;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

struct Server {
    base: String,
    users_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A server over the fixture run whose users file has `ana` (viewer) and a token.
async fn start() -> (Server, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let users_file = dir.path().join("users.json");
    let mut users = UsersFile::new();
    users.add("ana", Role::Viewer, PASSWORD).expect("add ana");
    users
        .add("bob", Role::Analyst, "another long password")
        .expect("add bob");
    let token = users.new_token("ana").expect("token");
    users.save(&users_file).expect("save");
    let auth = Arc::new(Auth::load(&users_file, false).expect("users load"));
    let run = RunData::load(&common::fixture("run")).expect("fixture");
    let server = Server {
        base: common::serve_router(router(Arc::new(run), Some(auth))).await,
        users_file,
        _dir: dir,
    };
    (server, token)
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn sign_in(server: &Server, user: &str, password: &str, next: &str) -> reqwest::Response {
    client()
        .post(format!("{}/login", server.base))
        .form(&[("user", user), ("password", password), ("next", next)])
        .send()
        .await
        .expect("login request")
}

fn session_of(response: &reqwest::Response) -> String {
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .expect("ascii");
    cookie.split(';').next().expect("name=value").to_string()
}

#[tokio::test]
async fn a_stranger_gets_only_the_health_check_the_login_page_and_the_chart_libraries() {
    let (server, _) = start().await;
    let client = client();
    let health = client
        .get(format!("{}/api/health", server.base))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), StatusCode::OK);
    for route in [
        "/api/customers",
        "/api/customers.csv",
        "/api/customers/12346",
        "/api/segments",
        "/api/models",
        "/api/openapi.json",
    ] {
        let response = client
            .get(format!("{}{route}", server.base))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{route}");
        assert!(response.headers().contains_key(WWW_AUTHENTICATE), "{route}");
        let body: serde_json::Value = response.json().await.expect("JSON error body");
        assert!(
            body["error"].as_str().unwrap_or("").contains("sign in"),
            "{route}"
        );
    }
    let scored = client
        .post(format!("{}/api/rfm-score", server.base))
        .json(&serde_json::json!({"recency_days": 2, "frequency": 4, "monetary": 500}))
        .send()
        .await
        .expect("rfm score");
    assert_eq!(scored.status(), StatusCode::UNAUTHORIZED);
    for page in [
        "/",
        "/segments",
        "/customers?id=12346",
        "/models",
        "/predict",
    ] {
        let response = client
            .get(format!("{}{page}", server.base))
            .send()
            .await
            .expect("page");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let location = response.headers()[LOCATION].to_str().expect("ascii");
        let expected: String = form_urlencoded::byte_serialize(page.as_bytes()).collect();
        assert_eq!(location, format!("/login?next={expected}"), "{page}");
    }
    let login = client
        .get(format!("{}/login?next=%2Fsegments", server.base))
        .send()
        .await
        .expect("login page");
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.expect("html");
    assert!(html.contains("name=\"password\"") && html.contains("value=\"/segments\""));
    assert!(!html.contains("<script"), "the login page runs no script");
    let asset = client
        .get(format!("{}/assets/echarts.min.js", server.base))
        .send()
        .await
        .expect("asset");
    assert_eq!(asset.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_api_token_opens_the_api_and_a_wrong_one_does_not() {
    let (server, token) = start().await;
    let client = client();
    let csv = client
        .get(format!("{}/api/customers.csv", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.text().await.expect("csv").starts_with("customer_id"));
    let scored = client
        .post(format!("{}/api/rfm-score", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"recency_days": 2, "frequency": 4, "monetary": 500}))
        .send()
        .await
        .expect("rfm score");
    assert_eq!(scored.status(), StatusCode::OK);
    for wrong in [
        format!("{token}x"),
        token.replace("rebuy_", ""),
        String::new(),
    ] {
        let response = client
            .get(format!("{}/api/segments", server.base))
            .bearer_auth(&wrong)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong}");
    }
}

#[tokio::test]
async fn signing_in_gives_a_strict_http_only_session_that_signing_out_ends() {
    let (server, _) = start().await;
    let response = sign_in(&server, "ana", PASSWORD, "/segments").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/segments");
    let set_cookie = response.headers()[SET_COOKIE].to_str().expect("ascii");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "no Secure without TLS: {set_cookie}"
    );
    let session = session_of(&response);
    let client = client();
    let page = client
        .get(format!("{}/segments", server.base))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("ana (viewer)") && html.contains("action=\"/logout\""));
    let export = client
        .get(format!("{}/api/customers.csv", server.base))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("export");
    assert_eq!(export.status(), StatusCode::OK);

    let out = client
        .post(format!("{}/logout", server.base))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let after = client
        .get(format!("{}/segments", server.base))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("page");
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer_and_the_login_never_redirects_away()
 {
    let (server, _) = start().await;
    let wrong = sign_in(&server, "ana", "not the password", "/").await;
    let unknown = sign_in(&server, "nobody", "not the password", "/").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(!wrong.headers().contains_key(SET_COOKIE));
    let (wrong, unknown) = (
        wrong.text().await.expect("html"),
        unknown.text().await.expect("html"),
    );
    assert!(wrong.contains("Wrong user name or password."));
    assert_eq!(wrong.replace("\"ana\"", "\"nobody\""), unknown);
    for outside in ["//evil.example/", "https://evil.example/"] {
        let response = sign_in(&server, "bob", "another long password", outside).await;
        assert_eq!(response.headers()[LOCATION], "/", "{outside}");
    }
}

#[tokio::test]
async fn guessing_passwords_is_locked_out_even_for_the_right_one_and_from_the_same_address() {
    let (server, _) = start().await;
    for _ in 0..3 {
        let response = sign_in(&server, "ana", "a wrong guess", "/").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = sign_in(&server, "ana", PASSWORD, "/").await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = locked.headers()[RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&wait), "{wait}");
    assert!(!locked.headers().contains_key(SET_COOKIE));
    // The address is locked too: another name from it waits as well.
    let other = sign_in(&server, "bob", "another long password", "/").await;
    assert_eq!(other.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn removing_a_user_from_the_file_ends_their_session_without_a_restart() {
    let (server, _) = start().await;
    let session = session_of(&sign_in(&server, "ana", PASSWORD, "/").await);
    let mut users = UsersFile::load(&server.users_file, false).expect("load");
    users.remove("ana").expect("remove");
    users.save(&server.users_file).expect("save");
    tokio::time::sleep(rebuy_server::auth::RECHECK_USERS + std::time::Duration::from_millis(500))
        .await;
    let page = client()
        .get(format!("{}/", server.base))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_address_other_machines_reach_needs_a_users_file_or_no_auth() {
    let options = |users: Option<&Path>, no_auth| ServeOptions {
        run_dir: common::fixture("run"),
        runs_folder: false,
        addr: "0.0.0.0:0".parse().expect("address"),
        users: users.map(Path::to_path_buf),
        no_auth,
        tls: None,
        limits: rebuy_server::Limits::default(),
    };
    let refused = options(None, false).check_access();
    assert!(matches!(refused, Err(ServerError::PublicWithoutLogin(_))));
    assert!(refused.unwrap_err().to_string().contains("--users"));
    assert!(options(None, true).check_access().is_ok());
    assert!(
        options(Some(Path::new("users.json")), false)
            .check_access()
            .is_ok()
    );
    let loopback = ServeOptions {
        addr: "127.0.0.1:0".parse().expect("address"),
        ..options(None, false)
    };
    assert!(loopback.check_access().is_ok());
}
