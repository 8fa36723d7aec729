//! HTTPS without a proxy: the certificate chain and private key of `rebuy serve
//! --tls-cert FILE --tls-key FILE` (PEM files) read into a rustls server configuration,
//! with rustls' `ring` provider (no OpenSSL). A file that is missing, empty, not PEM,
//! or a key that does not belong to the certificate is refused before the server
//! starts, naming the file and what is wrong with it.

use crate::error::ServerError;
use rustls::ServerConfig;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// A PEM file of a certificate or key is a few KB; anything far larger is not one
/// (and is not read whole into memory).
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The PEM files of `--tls-cert` and `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate, then any intermediate certificates, PEM.
    pub cert: PathBuf,
    /// The certificate's private key, PEM (PKCS #8, PKCS #1 or SEC1), unencrypted.
    pub key: PathBuf,
}

/// The handshake side of the server, from the two files.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, ServerError> {
    let fault = |file: &Path, detail: String| ServerError::Tls {
        file: file.display().to_string(),
        detail,
    };
    let cert_text = read_pem(&files.cert).map_err(|detail| fault(&files.cert, detail))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_text)
        .collect::<Result<_, _>>()
        .map_err(|e| fault(&files.cert, pem_fault(e)))?;
    if certs.is_empty() {
        return Err(fault(
            &files.cert,
            "no certificate in it: expected a PEM block starting -----BEGIN CERTIFICATE-----"
                .into(),
        ));
    }
    let key_text = read_pem(&files.key).map_err(|detail| fault(&files.key, detail))?;
    let key = PrivateKeyDer::from_pem_slice(&key_text).map_err(|e| match e {
        pem::Error::NoItemsFound => fault(&files.key, no_key(&key_text)),
        other => fault(&files.key, pem_fault(other)),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fault(&files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => fault(
                &files.key,
                format!(
                    "this key does not belong to the certificate in {}",
                    files.cert.display()
                ),
            ),
            other => fault(
                &files.cert,
                format!("not a usable certificate and key: {other}"),
            ),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The file's bytes, or why it cannot be a PEM file.
fn read_pem(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open it: {e}"))?;
    let mut text = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if text.len() as u64 > MAX_PEM_BYTES {
        return Err(format!(
            "larger than {} KiB: not a PEM certificate or key",
            MAX_PEM_BYTES / 1024
        ));
    }
    Ok(text)
}

/// Why a key file holds no key, with the likely slip when it holds a certificate.
fn no_key(text: &[u8]) -> String {
    let holds = |marker: &[u8]| text.windows(marker.len()).any(|w| w == marker);
    let expected = "expected an unencrypted PEM block starting -----BEGIN PRIVATE KEY----- \
                    (or RSA PRIVATE KEY, EC PRIVATE KEY)";
    if holds(b"-----BEGIN CERTIFICATE-----") {
        format!(
            "no private key in it, only a certificate (are --tls-cert and --tls-key swapped?); {expected}"
        )
    } else if holds(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        format!("the key is encrypted; {expected} (e.g. `openssl pkcs8 -in KEY -out PLAIN`)")
    } else {
        format!("no private key in it; {expected}")
    }
}

fn pem_fault(error: pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "a PEM block has no end line {:?}: the file is cut short",
            String::from_utf8_lossy(&end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => format!(
            "a damaged PEM begin line: {:?}",
            String::from_utf8_lossy(&line)
        ),
        pem::Error::Base64Decode(detail) => {
            format!("a PEM block is not valid base64 ({detail}): the file is damaged")
        }
        other => other.to_string(),
    }
}
