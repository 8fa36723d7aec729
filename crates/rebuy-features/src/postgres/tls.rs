//! TLS for the PostgreSQL source, with libpq's `sslmode` meanings (managed databases
//! such as RDS, Cloud SQL and Azure require TLS):
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (default, as libpq) | when the server offers it | no |
//! | `require` | always | no; with `sslrootcert`, as `verify-ca` (as libpq) |
//! | `verify-ca` | always | signed by a trusted root |
//! | `verify-full` | always | signed by a trusted root, and names the host |
//!
//! Only `verify-full` stops a man in the middle. Trusted roots are the system's
//! (`sslrootcert` absent or `system`) or the PEM file `sslrootcert=FILE`. rustls with
//! the ring provider: no OpenSSL.

use crate::{Error, Result};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres::config::SslMode;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Encrypted, certificate not checked (`prefer`, `require`).
    Nothing,
    /// The chain up to a trusted root, not the host name (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// The URL's `sslmode` and `sslrootcert`, taken out of it (tokio-postgres knows only
/// `disable`, `prefer` and `require`, and does no TLS itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub check: Check,
    /// None: the system's roots.
    pub root_file: Option<PathBuf>,
}

impl TlsSettings {
    /// From the URL's values (None when absent).
    pub fn parse(sslmode: Option<&str>, sslrootcert: Option<&str>) -> Result<TlsSettings> {
        let root_file = match sslrootcert {
            None | Some("system") => None,
            Some(file) => Some(PathBuf::from(file)),
        };
        let (mode, check) = match sslmode.unwrap_or("prefer") {
            "disable" => (SslMode::Disable, Check::Nothing),
            "prefer" => (SslMode::Prefer, Check::Nothing),
            "require" if root_file.is_some() => (SslMode::Require, Check::Chain),
            "require" => (SslMode::Require, Check::Nothing),
            "verify-ca" => (SslMode::Require, Check::Chain),
            "verify-full" => (SslMode::Require, Check::Full),
            other => {
                return Err(Error::Invalid(format!(
                    "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
                )));
            }
        };
        Ok(TlsSettings {
            mode,
            check,
            root_file,
        })
    }

    /// The rustls client for these settings (roots read now: a missing or empty CA file
    /// is an error before any connection).
    pub fn client_config(&self) -> Result<ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Invalid(format!("TLS for PostgreSQL: {e}")))?;
        let chain = match self.check {
            Check::Full => {
                return Ok(builder
                    .with_root_certificates(self.roots()?)
                    .with_no_client_auth());
            }
            Check::Nothing => None,
            Check::Chain => Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(self.roots()?),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| Error::Invalid(format!("TLS for PostgreSQL: {e}")))?,
            ),
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PartialCheck { provider, chain }));
        Ok(config.with_no_client_auth())
    }

    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match &self.root_file {
            Some(file) => {
                let certificates = read_certificates(file)?;
                let (added, _) = roots.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(Error::Invalid(format!(
                        "sslrootcert={}: no certificate rustls can use in it",
                        file.display()
                    )));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(Error::Invalid(
                        "sslmode asks to check the server's certificate but this system has no \
                         trusted roots (install ca-certificates, or give sslrootcert=FILE)"
                            .into(),
                    ));
                }
            }
        }
        Ok(roots)
    }
}

fn read_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let unreadable = |detail: String| {
        Error::Invalid(format!(
            "sslrootcert={}: {detail} (expected PEM certificates)",
            file.display()
        ))
    };
    let bytes = std::fs::read(file).map_err(|e| unreadable(e.to_string()))?;
    CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unreadable(e.to_string()))
}

/// The certificate check of `prefer`, `require` (`chain` None: any certificate) and
/// `verify-ca` (`chain`: the full check, except that a certificate for another host
/// name passes). The handshake's signatures are checked in every case, so the
/// connection is encrypted to whoever holds the certificate's key.
#[derive(Debug)]
struct PartialCheck {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for PartialCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_means_what_it_means_to_libpq() {
        let parse = |mode, root| TlsSettings::parse(mode, root).unwrap();
        assert_eq!(parse(None, None).mode, SslMode::Prefer);
        assert_eq!(parse(None, None).check, Check::Nothing);
        assert_eq!(parse(Some("disable"), None).mode, SslMode::Disable);
        assert_eq!(parse(Some("require"), None).check, Check::Nothing);
        assert_eq!(parse(Some("require"), Some("ca.pem")).check, Check::Chain);
        assert_eq!(parse(Some("verify-ca"), None).check, Check::Chain);
        let full = parse(Some("verify-full"), Some("system"));
        assert_eq!(
            (full.mode, full.check, full.root_file),
            (SslMode::Require, Check::Full, None)
        );
        let error = TlsSettings::parse(Some("allow-any"), None).unwrap_err();
        assert!(error.to_string().contains("verify-full"), "{error}");
    }

    #[test]
    fn a_root_file_that_is_missing_or_holds_no_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let settings = TlsSettings::parse(Some("verify-full"), missing.to_str()).unwrap();
        let error = settings.client_config().unwrap_err().to_string();
        assert!(error.contains("missing.pem"), "{error}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let settings = TlsSettings::parse(Some("verify-ca"), empty.to_str()).unwrap();
        let error = settings.client_config().unwrap_err().to_string();
        assert!(error.contains("no certificate"), "{error}");
    }
}
