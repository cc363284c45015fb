//! The schema registry client's TLS: rustls with ring, trusting the system's root certificates
//! plus the CA file of `schema.registry.ssl.truststore.location`.
//!
//! The system's roots are read on the first TLS handshake, not when the client is built: a
//! registry reached over plain HTTP never pays for them, nor fails on a machine that has none.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::setup_error::SetupError;

/// The TLS configuration for a client that trusts the system's roots and the CA file at
/// `ca_location`, if any.
///
/// # Errors
/// [`SetupError::ReadCa`] or [`SetupError::BadCa`] when the CA file cannot be read or holds
/// no usable certificate; [`SetupError::Client`] if ring lacks the default TLS versions (it
/// does not).
pub fn client_config(ca_location: Option<&Path>) -> Result<rustls::ClientConfig, SetupError> {
    let extra_roots = match ca_location {
        None => RootCertStore::empty(),
        Some(path) => {
            let pem = std::fs::read(path).map_err(|source| SetupError::ReadCa {
                path: path.to_owned(),
                source,
            })?;
            ca_roots(path, &pem)?
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = LazyRootsVerifier::new(extra_roots, system_roots, provider.clone());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| SetupError::Client(format!("cannot set up TLS: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates in `pem`, the contents of the CA file at `path` (which errors name), as
/// trust anchors: a certificate rustls cannot use is named before the first request.
///
/// # Errors
/// [`SetupError::BadCa`] when the file holds no certificate or a broken one.
fn ca_roots(path: &Path, pem: &[u8]) -> Result<RootCertStore, SetupError> {
    let bad = |reason: String| SetupError::BadCa {
        path: path.to_owned(),
        reason,
    };
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad(error.to_string()))?;
    if certificates.is_empty() {
        return Err(bad("no certificate found".into()));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| bad(error.to_string()))?;
    }
    Ok(roots)
}

/// The system's root certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR` if set, else where
/// OpenSSL keeps them); what cannot be read is logged and left out.
fn system_roots() -> Vec<CertificateDer<'static>> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::debug!("system root certificates: {error}");
    }
    found.certs
}

/// Verification by `webpki` against roots loaded on first use.
#[derive(Debug)]
struct LazyRootsVerifier {
    extra_roots: RootCertStore,
    system_roots: fn() -> Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<Arc<WebPkiServerVerifier>, rustls::Error>>,
}

impl LazyRootsVerifier {
    fn new(
        extra_roots: RootCertStore,
        system_roots: fn() -> Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        Self {
            extra_roots,
            system_roots,
            provider,
            verifier: OnceLock::new(),
        }
    }

    fn verifier(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                let mut roots = self.extra_roots.clone();
                let (added, ignored) = roots.add_parsable_certificates((self.system_roots)());
                tracing::debug!(
                    added,
                    ignored,
                    "the schema registry client loaded the system's root certificates"
                );
                if roots.is_empty() {
                    return Err(rustls::Error::General(
                        "no root certificate to trust: the system has none (install \
                         ca-certificates or set SSL_CERT_FILE) and \
                         schema.registry.ssl.truststore.location is not set"
                            .into(),
                    ));
                }
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|error| rustls::Error::General(error.to_string()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyRootsVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tls");
        std::fs::read(dir.join(name)).unwrap()
    }

    fn certificate(name: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(&fixture(name)).unwrap()
    }

    fn test_ca() -> RootCertStore {
        ca_roots(Path::new("ca.pem"), &fixture("ca.pem")).unwrap()
    }

    fn verify(
        verifier: &LazyRootsVerifier,
        host: &str,
    ) -> Result<ServerCertVerified, rustls::Error> {
        verifier.verify_server_cert(
            &certificate("server.pem"),
            &[],
            &ServerName::try_from(host.to_owned()).unwrap(),
            &[],
            UnixTime::now(),
        )
    }

    fn ring() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    static LOADS: AtomicUsize = AtomicUsize::new(0);

    fn counted_no_roots() -> Vec<CertificateDer<'static>> {
        LOADS.fetch_add(1, Ordering::SeqCst);
        Vec::new()
    }

    #[test]
    fn system_roots_are_read_once_on_the_first_verification() {
        let verifier = LazyRootsVerifier::new(test_ca(), counted_no_roots, ring());
        assert_eq!(LOADS.load(Ordering::SeqCst), 0, "read before any handshake");
        verify(&verifier, "localhost").unwrap();
        verify(&verifier, "127.0.0.1").unwrap();
        assert_eq!(LOADS.load(Ordering::SeqCst), 1);
        // The certificate names localhost and 127.0.0.1 only.
        let error = verify(&verifier, "registry.example.com").unwrap_err();
        assert!(error.to_string().contains("certificate"), "{error}");
    }

    #[test]
    fn without_any_root_the_handshake_fails_and_says_why() {
        let verifier = LazyRootsVerifier::new(RootCertStore::empty(), Vec::new, ring());
        let error = verify(&verifier, "localhost").unwrap_err().to_string();
        assert!(error.contains("no root certificate to trust"), "{error}");
        assert!(
            error.contains("schema.registry.ssl.truststore.location"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_issuer_is_refused() {
        // The test CA is not among these roots: the server certificate itself is no CA.
        let verifier = LazyRootsVerifier::new(
            RootCertStore::empty(),
            || vec![certificate("server.pem")],
            ring(),
        );
        let error = verify(&verifier, "localhost").unwrap_err();
        assert!(
            matches!(
                error,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            ),
            "{error:?}"
        );
    }

    #[test]
    fn ca_files_are_checked_when_read() {
        let path = Path::new("ca.pem");
        assert_eq!(test_ca().len(), 1);
        let error = ca_roots(path, b"not a certificate\n").unwrap_err();
        assert!(
            error.to_string().contains("no certificate found"),
            "{error}"
        );
        let mut broken = fixture("ca.pem");
        let middle = broken.len() / 2;
        broken[middle] = b'*';
        assert!(matches!(
            ca_roots(path, &broken),
            Err(SetupError::BadCa { .. })
        ));
    }
}
