//! `rebuy serve --tls-cert --tls-key`: HTTPS with a throwaway certificate made here
//! (rcgen), a real client trusting only it, HSTS on the answers, plain HTTP refused;
//! and certificate or key files that cannot work refused before the server starts,
//! naming the file and what is wrong.

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use rebuy_server::{Limits, ServeOptions, ServerError, TlsFiles};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// The name the certificate is made for; the client resolves it to the server.
const HOST: &str = "rebuy.test";

/// A new self-signed certificate for [`HOST`] and its key, PEM.
fn certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec![HOST.to_string()]).expect("certificate");
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// The two PEM texts written as files in `dir`.
fn tls_files(dir: &Path, cert: &str, key: &str) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, cert).expect("write cert");
    std::fs::write(&files.key, key).expect("write key");
    files
}

fn options(tls: TlsFiles, addr: SocketAddr) -> ServeOptions {
    ServeOptions {
        run_dir: common::fixture("run"),
        runs_folder: false,
        addr,
        users: None,
        no_auth: false,
        tls: Some(tls),
        limits: Limits::default(),
    }
}

async fn wait_until_listening(addr: SocketAddr) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A client that trusts only `cert` and finds [`HOST`] at `addr`; redirects are shown,
/// not followed.
fn https_client(cert: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).expect("PEM"))
        .resolve(HOST, addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

#[tokio::test]
async fn https_serves_the_pages_with_hsts_and_refuses_plain_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = certificate();
    let addr = free_port();
    tokio::spawn(rebuy_server::serve(
        options(tls_files(dir.path(), &cert, &key), addr),
        std::future::pending(),
    ));
    wait_until_listening(addr).await;
    let client = https_client(&cert, addr);
    let page = client
        .get(format!("https://{HOST}:{}/", addr.port()))
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert!(page.headers().contains_key("content-security-policy"));
    let text = page.text().await.expect("page");
    assert!(text.contains("<h1>Overview</h1>"), "the Overview page");

    let health: serde_json::Value = client
        .get(format!("https://{HOST}:{}/api/health", addr.port()))
        .send()
        .await
        .expect("an HTTPS answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health["status"], "ok");

    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP to the TLS port: {plain:?}");
}

/// Under TLS the session cookie is `Secure`: a browser never sends it over plain HTTP.
#[tokio::test]
async fn signing_in_over_https_gives_a_secure_cookie() {
    use rebuy_server::auth::users::{Role, UsersFile};
    let dir = tempfile::tempdir().expect("temp dir");
    let users_file = dir.path().join("users.json");
    let mut users = UsersFile::new();
    users
        .add("ana", Role::Viewer, "correct horse battery")
        .expect("add");
    users.save(&users_file).expect("save");
    let (cert, key) = certificate();
    let addr = free_port();
    tokio::spawn(rebuy_server::serve(
        ServeOptions {
            users: Some(users_file),
            ..options(tls_files(dir.path(), &cert, &key), addr)
        },
        std::future::pending(),
    ));
    wait_until_listening(addr).await;
    let client = https_client(&cert, addr);
    let signed_in = client
        .post(format!("https://{HOST}:{}/login", addr.port()))
        .form(&[("user", "ana"), ("password", "correct horse battery")])
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("ascii");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(
        signed_in.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

/// The refusal of `serve` for these files: the file it names and what it says.
async fn refusal(tls: TlsFiles) -> (String, String) {
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        rebuy_server::serve(options(tls, free_port()), std::future::pending()),
    )
    .await
    .expect("refused at once");
    match outcome {
        Err(ServerError::Tls { file, detail }) => (file, detail),
        other => panic!("not a TLS refusal: {other:?}"),
    }
}

#[tokio::test]
async fn certificate_and_key_files_that_cannot_work_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = certificate();
    let (_, other_key) = certificate();
    let files = |cert: &str, key: &str| tls_files(dir.path(), cert, key);
    let cert_file = dir.path().join("cert.pem").display().to_string();
    let key_file = dir.path().join("key.pem").display().to_string();

    let missing = TlsFiles {
        cert: dir.path().join("missing.pem"),
        key: dir.path().join("key.pem"),
    };
    let (file, detail) = refusal(missing).await;
    assert!(file.ends_with("missing.pem"), "{file}");
    assert!(detail.contains("cannot open it"), "{detail}");

    let cut = &cert[..cert.len() / 2];
    let damaged = cert.replace("MII", "M!I");
    let cases: [(&str, &str, &String, &str); 6] = [
        (
            "not a certificate",
            &key,
            &cert_file,
            "no certificate in it",
        ),
        (&cert, &cert, &key_file, "swapped"),
        (&cert, "", &key_file, "no private key in it"),
        (cut, &key, &cert_file, "cut short"),
        (
            &cert,
            &other_key,
            &key_file,
            "does not belong to the certificate",
        ),
        (&damaged, &key, &cert_file, "damaged"),
    ];
    for (cert_text, key_text, named, says) in cases {
        let (file, detail) = refusal(files(cert_text, key_text)).await;
        assert_eq!(&file, named, "{detail}");
        assert!(detail.contains(says), "{file}: {detail}, expected {says:?}");
    }
}
