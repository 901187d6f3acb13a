//! TLS for the connection, with the meanings libpq gives `sslmode`.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require`, and leaves the
//! certificate check to the TLS connector it is handed. This module builds that
//! connector on rustls so that all five libpq modes mean what libpq says they mean
//! (<https://www.postgresql.org/docs/current/libpq-ssl.html>, "SSL Mode Descriptions"):
//!
//! | mode          | TLS                           | certificate                        |
//! |---------------|-------------------------------|------------------------------------|
//! | `disable`     | never                         | -                                  |
//! | `prefer`      | if the server offers it       | not verified                       |
//! | `require`     | always, or fail               | not verified (see below)           |
//! | `verify-ca`   | always, or fail               | chain checked against the CA roots |
//! | `verify-full` | always, or fail               | chain and host name checked        |
//!
//! As in libpq, `require` with a root CA file given behaves like `verify-ca`
//! ([`effective_mode`]).
//!
//! Choices, and why:
//! - rustls with the `ring` provider only. rustls' default provider, aws-lc-rs, builds a
//!   C library with cmake, which is slow on a small machine and needs a C toolchain;
//!   ring does not. The provider is passed explicitly ([`provider`]) rather than
//!   installed process-wide, so nothing depends on which provider happens to be the
//!   process default.
//! - Trust roots: a PEM file when one is given (AWS publishes
//!   `amazon-trust-ca-bundle.crt` for Redshift), else Mozilla's roots compiled in from
//!   webpki-roots, so the result does not depend on the machine's CA store.
//! - Modes that do not verify the certificate still check the handshake signatures
//!   with the provider's algorithms: the peer must hold the key of the certificate it
//!   shows. What they give up is knowing *whose* certificate it is.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use rustls::{Error as TlsError, SignatureScheme};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::model::Target;

/// libpq's `sslmode` values, without `allow` (plaintext first, TLS only if the server
/// insists), which tokio-postgres cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, else plaintext; the certificate is not verified.
    Prefer,
    /// TLS or fail; the certificate is not verified (unless a CA file is given).
    Require,
    /// TLS or fail; the certificate chain is verified, the host name is not.
    VerifyCa,
    /// TLS or fail; the certificate chain and the host name are verified.
    VerifyFull,
}

impl SslMode {
    pub const NAMES: &'static str = "disable, prefer, require, verify-ca or verify-full";

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the certificate chain is checked against the CA roots.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }

    /// The mode tokio-postgres is told: it decides whether to ask for TLS and whether
    /// a server that declines is an error; the certificate check is the connector's.
    pub fn for_tokio_postgres(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Pg;
        match self {
            SslMode::Disable => Pg::Disable,
            SslMode::Prefer => Pg::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Pg::Require,
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = String;

    /// The value is repeated in the error: an sslmode is never a secret.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" => Err(format!(
                "sslmode `allow` is not supported (the client library cannot start in \
                 plaintext and switch to TLS); use {}",
                SslMode::NAMES
            )),
            other => Err(format!(
                "sslmode `{other}` is not known; use {}",
                SslMode::NAMES
            )),
        }
    }
}

/// The mode used when nothing was set: `require` when the grants file says the server
/// is Redshift (clusters commonly enforce TLS, and credentials should not cross a
/// network in the clear), else libpq's default `prefer`.
pub fn default_mode(expected: Option<Target>) -> SslMode {
    match expected {
        Some(Target::Redshift) => SslMode::Require,
        _ => SslMode::Prefer,
    }
}

/// The mode that is actually used: the one asked for (or [`default_mode`]), with
/// libpq's rule that `require` verifies like `verify-ca` when a root CA file is given.
pub fn effective_mode(asked: Option<SslMode>, ca_given: bool, expected: Option<Target>) -> SslMode {
    match asked.unwrap_or_else(|| default_mode(expected)) {
        SslMode::Require if ca_given => SslMode::VerifyCa,
        mode => mode,
    }
}

/// The ring provider, passed explicitly to every builder (see the module docs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The largest CA file read: AWS's bundle and Mozilla's are about 200 KiB.
pub const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads the CA certificates of a PEM file (one or many `BEGIN CERTIFICATE` blocks,
/// as in AWS's `amazon-trust-ca-bundle.crt`). Other PEM blocks are skipped. A file
/// that cannot be read, is not PEM, or holds no usable certificate is an error that
/// names the file.
pub fn load_ca_file(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    // Bounded like every file grantplan reads: a device or a huge file is refused unread.
    // PEM is ASCII text, so a file that is not UTF-8 is no PEM either.
    let text = crate::input::read_text(path, MAX_CA_FILE_BYTES)
        .map_err(|e| e.describe(&format!("CA file {shown}")))?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(text.as_bytes()) {
        certs.push(item.map_err(|e| format!("CA file {shown} is not valid PEM: {e}"))?);
    }
    if certs.is_empty() {
        return Err(format!(
            "CA file {shown} holds no certificate: expected PEM blocks starting with \
             -----BEGIN CERTIFICATE-----"
        ));
    }
    let found = certs.len();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "CA file {shown}: none of its {found} certificates could be parsed as a CA \
             certificate"
        ));
    }
    Ok(roots)
}

/// Mozilla's root certificates, compiled in from webpki-roots.
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The rustls client configuration for `mode`. `ca_file` is read only by the modes
/// that verify; without one they use [`mozilla_roots`].
pub fn client_config(mode: SslMode, ca_file: Option<&Path>) -> Result<ClientConfig, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if mode.verifies() {
        let roots = match ca_file {
            Some(path) => load_ca_file(path)?,
            None => mozilla_roots(),
        };
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
        if mode == SslMode::VerifyFull {
            webpki
        } else {
            Arc::new(ChainOnly { inner: webpki })
        }
    } else {
        Arc::new(AnyCertificate {
            algorithms: provider.signature_verification_algorithms,
        })
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// `verify-ca`: rustls' WebPKI verifier, with the host-name mismatch (and only that)
/// forgiven.
///
/// This is sound because `WebPkiServerVerifier::verify_server_cert` checks the chain
/// (trust anchor, validity dates, signatures, key usage) first and the name last: a
/// name error can only come from a certificate whose chain already verified. Every
/// other error, an unknown issuer or an expired certificate included, still fails.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(TlsError::InvalidCertificate(
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
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `prefer` and `require` (without a CA file): any certificate is accepted, as libpq
/// does in these modes, but the handshake signatures are still verified with the
/// provider's algorithms, so the session keys are bound to the certificate's key.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The connector handed to tokio-postgres: tokio-postgres-rustls's, plus a record of
/// whether the connection that was made is encrypted.
///
/// tokio-postgres does not say whether a `prefer` connection ended up in TLS or in
/// plaintext. It calls [`TlsConnect::connect`] only after the server agreed to TLS, and
/// a failed handshake fails the attempt; so "connect was called in the attempt that
/// succeeded" means "encrypted". The flag is cleared at the start of every attempt
/// ([`MakeTlsConnect::make_tls_connect`] runs once per host tried).
#[derive(Clone)]
pub struct Connector {
    inner: MakeRustlsConnect,
    encrypted: Arc<AtomicBool>,
}

impl Connector {
    /// A connector for `mode` (use [`effective_mode`] first).
    pub fn new(mode: SslMode, ca_file: Option<&Path>) -> Result<Self, String> {
        Ok(Connector {
            inner: MakeRustlsConnect::new(client_config(mode, ca_file)?),
            encrypted: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Whether the last connection made with this connector runs over TLS.
    pub fn encrypted(&self) -> bool {
        self.encrypted.load(Ordering::SeqCst)
    }
}

impl<S> MakeTlsConnect<S> for Connector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    MakeRustlsConnect: MakeTlsConnect<S>,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = Flagged<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        self.encrypted.store(false, Ordering::SeqCst);
        Ok(Flagged {
            inner: self.inner.make_tls_connect(domain)?,
            encrypted: self.encrypted.clone(),
        })
    }
}

/// One attempt's [`TlsConnect`]; see [`Connector`].
pub struct Flagged<T> {
    inner: T,
    encrypted: Arc<AtomicBool>,
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for Flagged<T> {
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = T::Future;

    fn connect(self, stream: S) -> Self::Future {
        self.encrypted.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}

/// Where a CA file came from, for messages.
pub fn describe_roots(ca_file: Option<&(PathBuf, crate::db::Origin)>) -> String {
    match ca_file {
        Some((path, origin)) => format!("the CA file {} ({origin})", path.display()),
        None => "Mozilla's root certificates (no CA file was given)".to_string(),
    }
}

/// The rustls error inside a tokio-postgres TLS error, if there is one. tokio-rustls
/// wraps it in an `io::Error`, whose `source()` skips the wrapped error, so each link
/// of the chain is also looked into with `io::Error::get_ref`.
pub fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a TlsError> {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = link {
        if let Some(t) = err.downcast_ref::<TlsError>() {
            return Some(t);
        }
        if let Some(t) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<TlsError>())
        {
            return Some(t);
        }
        link = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_as_libpq_spells_them() {
        for m in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(m.as_str().parse::<SslMode>(), Ok(m));
        }
        let e = "allow".parse::<SslMode>().unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = "verify_full".parse::<SslMode>().unwrap_err();
        assert!(e.contains("verify-full"), "{e}");
    }

    #[test]
    fn redshift_defaults_to_require_everything_else_to_prefer() {
        assert_eq!(default_mode(Some(Target::Redshift)), SslMode::Require);
        assert_eq!(default_mode(Some(Target::Postgres)), SslMode::Prefer);
        assert_eq!(default_mode(None), SslMode::Prefer);
    }

    #[test]
    fn require_with_a_ca_file_verifies_the_chain_as_libpq_does() {
        assert_eq!(
            effective_mode(Some(SslMode::Require), true, None),
            SslMode::VerifyCa
        );
        assert_eq!(
            effective_mode(Some(SslMode::Require), false, None),
            SslMode::Require
        );
        // The Redshift default is `require`, so a CA file upgrades it too.
        assert_eq!(
            effective_mode(None, true, Some(Target::Redshift)),
            SslMode::VerifyCa
        );
        // Only `require` is upgraded: prefer stays unverified, verify-full stays full.
        assert_eq!(
            effective_mode(Some(SslMode::Prefer), true, None),
            SslMode::Prefer
        );
        assert_eq!(
            effective_mode(Some(SslMode::VerifyFull), true, None),
            SslMode::VerifyFull
        );
        // An explicit mode beats the target's default.
        assert_eq!(
            effective_mode(Some(SslMode::Disable), false, Some(Target::Redshift)),
            SslMode::Disable
        );
    }

    #[test]
    fn tokio_postgres_is_told_require_for_every_verifying_mode() {
        use tokio_postgres::config::SslMode as Pg;
        assert_eq!(SslMode::Disable.for_tokio_postgres(), Pg::Disable);
        assert_eq!(SslMode::Prefer.for_tokio_postgres(), Pg::Prefer);
        assert_eq!(SslMode::VerifyCa.for_tokio_postgres(), Pg::Require);
        assert_eq!(SslMode::VerifyFull.for_tokio_postgres(), Pg::Require);
    }

    #[test]
    fn ca_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.crt");
        let e = load_ca_file(&missing).unwrap_err();
        assert!(e.contains("cannot read CA file"), "{e}");
        assert!(e.contains("nope.crt"), "{e}");

        let empty = dir.path().join("empty.crt");
        std::fs::write(&empty, "").unwrap();
        let e = load_ca_file(&empty).unwrap_err();
        assert!(
            e.contains("empty.crt") && e.contains("holds no certificate"),
            "{e}"
        );

        // A key alone is PEM, but not a certificate.
        let key_only = dir.path().join("key.pem");
        std::fs::write(
            &key_only,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = load_ca_file(&key_only).unwrap_err();
        assert!(
            e.contains("key.pem") && e.contains("holds no certificate"),
            "{e}"
        );

        let broken = dir.path().join("broken.crt");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let e = load_ca_file(&broken).unwrap_err();
        assert!(
            e.contains("broken.crt") && e.contains("not valid PEM"),
            "{e}"
        );

        let garbage = dir.path().join("garbage.crt");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = load_ca_file(&garbage).unwrap_err();
        assert!(
            e.contains("garbage.crt") && e.contains("could be parsed"),
            "{e}"
        );

        // A directory is not a file.
        let e = load_ca_file(dir.path()).unwrap_err();
        assert!(
            e.contains(&format!(
                "CA file {} is a directory, not a regular file",
                dir.path().display()
            )),
            "{e}"
        );

        // A device is refused unread.
        let e = load_ca_file(Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.starts_with("CA file /dev/zero is a character device, not a regular file"),
            "{e}"
        );
        // Binary (DER, say) is not PEM.
        let der = dir.path().join("ca.der");
        std::fs::write(&der, [0x30, 0x82, 0xff, 0xfe]).unwrap();
        let e = load_ca_file(&der).unwrap_err();
        assert!(e.contains("ca.der") && e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn verifying_modes_read_the_ca_file_and_others_do_not() {
        let missing = Path::new("/nonexistent/grantplan-ca.crt");
        for m in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let e = client_config(m, Some(missing)).unwrap_err();
            assert!(e.contains("grantplan-ca.crt"), "{m}: {e}");
        }
        // require/prefer/disable never verify, so they never read it (effective_mode
        // has already turned `require` + CA file into verify-ca).
        for m in [SslMode::Disable, SslMode::Prefer, SslMode::Require] {
            assert!(client_config(m, Some(missing)).is_ok(), "{m}");
        }
        assert!(client_config(SslMode::VerifyFull, None).is_ok());
        assert!(!mozilla_roots().is_empty());
    }
}
