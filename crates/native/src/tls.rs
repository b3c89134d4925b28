//! TLS for the native store clients: rustls (ring) trusting the system's certificates, read by
//! rustls-native-certs, or instead those in `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (the way to trust a
//! private CA, as for Spin's own clients: README, "Postgres and TLS"). The Redis client (`rediss://`)
//! builds its configuration the same way inside the redis crate; this module builds the Postgres
//! one, for each of the checks `sslmode` asks for.

use std::sync::Arc;

use hexaspin_core::ports::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// What is checked of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Nothing (libpq's `sslmode=prefer`: encrypted against eavesdroppers, not against a
    /// server in the middle). The handshake's signatures are still checked.
    None,
    /// The chain up to a trusted root, not the host name (`sslmode=verify-ca`).
    Chain,
    /// The chain and the host name (`sslmode=require` and `verify-full`).
    Full,
}

/// A client configuration for `verification`, trusting the system's roots.
pub fn client_config(verification: Verification) -> Result<ClientConfig, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Failed(format!("TLS set-up: {e}")))?;
    let config = match verification {
        Verification::Full => builder.with_root_certificates(system_roots()?),
        Verification::Chain => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki_verifier(provider)?))),
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SignaturesOnly(provider))),
    };
    Ok(config.with_no_client_auth())
}

/// The system's trust store (with `SSL_CERT_FILE`/`SSL_CERT_DIR`); an unreadable one is an error,
/// an empty one is refused (every connection would fail with a less helpful message).
fn system_roots() -> Result<RootCertStore, StoreError> {
    let found = rustls_native_certs::load_native_certs();
    if let Some(error) = found.errors.first() {
        return Err(StoreError::Unavailable(format!(
            "cannot read the system's CA certificates: {error}"
        )));
    }
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(StoreError::Unavailable(
            "no CA certificate found (install ca-certificates, or point SSL_CERT_FILE at a bundle)".into(),
        ));
    }
    Ok(roots)
}

fn webpki_verifier(provider: Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(system_roots()?), provider)
        .build()
        .map_err(|e| StoreError::Failed(format!("TLS set-up: {e}")))
}

/// `verify-ca`: webpki checks the chain before the name, so a certificate refused only for its
/// name has a trusted chain.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
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
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer`: any certificate, as libpq does in that mode; the handshake signatures are verified
/// with the certificate's key, so the session is still bound to it.
#[derive(Debug)]
struct SignaturesOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for SignaturesOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
