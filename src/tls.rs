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
//! Where the CA certificates come from, and what they change, follows libpq
//! (<https://www.postgresql.org/docs/current/libpq-connect.html>, `sslrootcert`) too; the
//! rules themselves are applied by [`effective_mode`] and `db::tls_mode`:
//! - A root CA file is the one named (`--ca-file`, `sslrootcert=`, `$PGSSLROOTCERT`), else
//!   libpq's default `~/.postgresql/root.crt` when that file exists ([`DEFAULT_ROOT_CERT`]).
//! - `require` with a root CA file verifies the chain like `verify-ca`; this includes the
//!   default file, so a wrong CA in `~/.postgresql/root.crt` refuses the server, as psql does.
//! - `verify-ca` and `verify-full` without any root CA file are refused before connecting,
//!   as libpq refuses them: there is no silent fallback to a built-in list of public CAs.
//! - The value `system` ([`Roots::System`]) means the operating system's trust store (libpq
//!   16); it makes `verify-full` the default and refuses every weaker mode, because anyone
//!   can get a certificate from a public CA for a host name they control.
//!
//! Choices, and why:
//! - rustls with the `ring` provider only. rustls' default provider, aws-lc-rs, builds a
//!   C library with cmake, which is slow on a small machine and needs a C toolchain;
//!   ring does not. The provider is passed explicitly ([`provider`]) rather than
//!   installed process-wide, so nothing depends on which provider happens to be the
//!   process default.
//! - `system` reads the machine's store with rustls-native-certs (on Linux the PEM bundle
//!   and directory OpenSSL uses, `SSL_CERT_FILE` / `SSL_CERT_DIR` first), not a list
//!   compiled into the binary: libpq's `system` is OpenSSL's default store, so a CA the
//!   administrator installed (a company's own) is trusted and one they removed is not, and
//!   the list does not go stale between releases of grantplan.
//! - A server certificate that is byte for byte one of the CA file's certificates is
//!   trusted as itself ([`Verifier`]): a self-signed server certificate given as the CA
//!   file, which OpenSSL (and so psql) accepts and webpki refuses as `CaUsedAsEndEntity`.
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

/// Why a value is not an sslmode. The value is repeated: an sslmode is never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SslModeError {
    /// libpq's `allow`, which grantplan cannot honour.
    #[error(
        "sslmode `allow` is not supported (the client library cannot start in plaintext \
         and switch to TLS); use {}",
        SslMode::NAMES
    )]
    Allow,
    #[error("sslmode `{value}` is not known; use {}", SslMode::NAMES)]
    Unknown { value: String },
}

impl FromStr for SslMode {
    type Err = SslModeError;

    fn from_str(s: &str) -> Result<Self, SslModeError> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" => Err(SslModeError::Allow),
            other => Err(SslModeError::Unknown {
                value: other.to_string(),
            }),
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

/// Where the certificates that verify the server come from: libpq's `sslrootcert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file of CA certificates (or of the server's own self-signed certificate).
    File(PathBuf),
    /// The operating system's trust store: the value `system`, as in libpq 16 and later.
    System,
}

impl Roots {
    /// The value `sslrootcert` reserves for the system's store. A file of that name is
    /// still reachable as `./system`, as in libpq.
    pub const SYSTEM: &'static str = "system";

    /// Reads a setting the way libpq reads `sslrootcert`: exactly `system` is the system's
    /// store, anything else a file name. The same reading applies to `--ca-file` and
    /// `$PGSSLROOTCERT`, which are the same setting given another way.
    pub fn from_setting(value: &Path) -> Roots {
        if value.as_os_str() == Roots::SYSTEM {
            Roots::System
        } else {
            Roots::File(value.to_path_buf())
        }
    }
}

/// libpq's default root CA file, relative to the home directory: used when no CA file
/// is named and the file exists.
pub const DEFAULT_ROOT_CERT: &str = ".postgresql/root.crt";

/// The mode that is actually used: the one asked for (or [`default_mode`]), with
/// libpq's rules for the roots:
/// - `require` with a root CA file verifies the chain like `verify-ca`;
/// - `sslrootcert=system` makes `verify-full` the default (the caller then refuses any
///   other mode that was asked for: see `db::tls_mode`).
pub fn effective_mode(
    asked: Option<SslMode>,
    roots: Option<&Roots>,
    expected: Option<Target>,
) -> SslMode {
    if asked.is_none() && roots == Some(&Roots::System) {
        return SslMode::VerifyFull;
    }
    match asked.unwrap_or_else(|| default_mode(expected)) {
        SslMode::Require if matches!(roots, Some(Roots::File(_))) => SslMode::VerifyCa,
        mode => mode,
    }
}

/// The ring provider, passed explicitly to every builder (see the module docs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The largest CA file read: AWS's bundle and Mozilla's are about 200 KiB.
pub const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The certificates a verifying mode trusts.
#[derive(Debug)]
pub struct Trusted {
    /// The trust anchors webpki builds chains to.
    pub roots: RootCertStore,
    /// The CA file's certificates as written, for [`Verifier`]'s byte-for-byte match;
    /// empty for the system's store.
    pub certificates: Vec<CertificateDer<'static>>,
}

/// Why TLS could not be set up for a connection: the roots could not be read, or rustls
/// refused its configuration. Its `Display` is the message the CLI prints; the variants
/// keep the file and the underlying error, so the caller can add where the setting came
/// from without taking a sentence apart.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The CA file could not be read as text (missing, not a regular file, too large,
    /// not UTF-8: binary DER is no PEM).
    #[error("{}", .error.describe(&format!("CA file {}", .path.display())))]
    CaFileUnreadable {
        path: PathBuf,
        error: crate::input::ReadTextError,
    },
    #[error("CA file {} is not valid PEM: {source}", .path.display())]
    CaFileNotPem {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    /// PEM, but no `CERTIFICATE` block (a key alone, say).
    #[error(
        "CA file {} holds no certificate: expected PEM blocks starting with \
         -----BEGIN CERTIFICATE-----",
        .path.display()
    )]
    CaFileEmpty { path: PathBuf },
    /// `found` certificate blocks, none of which parses as a CA certificate.
    #[error(
        "CA file {}: none of its {found} certificates could be parsed as a CA certificate",
        .path.display()
    )]
    CaFileUnparsable { path: PathBuf, found: usize },
    /// `sslrootcert=system` found no usable certificate; `first` is the first error met
    /// reading the store, if any.
    #[error(
        "the system's trust store (sslrootcert=system) holds no usable certificate{}: \
         install the distribution's CA certificates (ca-certificates), or point \
         $SSL_CERT_FILE at a PEM bundle",
        .first.as_ref().map_or_else(String::new, |e| format!(" ({e})"))
    )]
    SystemStoreEmpty {
        first: Option<rustls_native_certs::Error>,
    },
    /// A verifying mode with no roots (`db::tls_mode` refuses this first, with advice).
    #[error("sslmode {mode} verifies the server's certificate, and no CA certificates were given")]
    NoRoots { mode: SslMode },
    #[error("cannot set up TLS: {0}")]
    Setup(#[source] TlsError),
    #[error("cannot set up certificate verification: {0}")]
    Verification(#[source] rustls::client::VerifierBuilderError),
}

/// Reads the CA certificates of a PEM file (one or many `BEGIN CERTIFICATE` blocks,
/// as in AWS's `amazon-trust-ca-bundle.crt`). Other PEM blocks are skipped. A file
/// that cannot be read, is not PEM, or holds no usable certificate is an error that
/// names the file.
pub fn load_ca_file(path: &Path) -> Result<Trusted, Error> {
    // Bounded like every file grantplan reads: a device or a huge file is refused unread.
    // PEM is ASCII text, so a file that is not UTF-8 is no PEM either.
    let text = crate::input::read_text(path, MAX_CA_FILE_BYTES).map_err(|error| {
        Error::CaFileUnreadable {
            path: path.to_path_buf(),
            error,
        }
    })?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(text.as_bytes()) {
        certs.push(item.map_err(|source| Error::CaFileNotPem {
            path: path.to_path_buf(),
            source,
        })?);
    }
    if certs.is_empty() {
        return Err(Error::CaFileEmpty {
            path: path.to_path_buf(),
        });
    }
    let found = certs.len();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(Error::CaFileUnparsable {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(Trusted {
        roots,
        certificates: certs,
    })
}

/// The operating system's trust store (`sslrootcert=system`), read with
/// rustls-native-certs: `$SSL_CERT_FILE` / `$SSL_CERT_DIR` when set, else the bundle and
/// directory OpenSSL uses on this system, which is what libpq's `system` reads. A store
/// with no usable certificate is an error: every server would be refused, and the reason
/// would be far from the symptom.
pub fn system_roots() -> Result<Trusted, Error> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(Error::SystemStoreEmpty {
            first: found.errors.into_iter().next(),
        });
    }
    Ok(Trusted {
        roots,
        certificates: Vec::new(),
    })
}

/// The rustls client configuration for `mode`; see [`verifier`].
pub fn client_config(mode: SslMode, roots: Option<&Roots>) -> Result<ClientConfig, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::Setup)?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier(mode, roots)?)
        .with_no_client_auth())
}

/// What checks the server's certificate under `mode`. `roots` are read only by the
/// modes that verify, and those need them: `db::tls_mode` refuses a verifying mode
/// without roots before it gets here, with libpq's advice.
fn verifier(mode: SslMode, roots: Option<&Roots>) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let provider = provider();
    if !mode.verifies() {
        return Ok(Arc::new(AnyCertificate {
            algorithms: provider.signature_verification_algorithms,
        }));
    }
    let trusted = match roots {
        Some(Roots::File(path)) => load_ca_file(path)?,
        Some(Roots::System) => system_roots()?,
        None => return Err(Error::NoRoots { mode }),
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(trusted.roots), provider)
        .build()
        .map_err(Error::Verification)?;
    Ok(Arc::new(Verifier {
        webpki,
        check_name: mode == SslMode::VerifyFull,
        pinned: trusted.certificates,
    }))
}

/// `verify-ca` and `verify-full`: rustls' WebPKI verifier, with two allowances.
///
/// - `verify-ca` (`check_name` false) forgives the host-name mismatch, and only that.
///   This is sound because `WebPkiServerVerifier::verify_server_cert` checks the chain
///   (trust anchor, validity dates, signatures, key usage) first and the name last: a
///   name error can only come from a certificate whose chain already verified. Every
///   other error, an unknown issuer or an expired certificate included, still fails.
/// - A server certificate that is byte for byte one of the CA file's certificates
///   (`pinned`) is trusted as itself when webpki stops at `CaUsedAsEndEntity`. That is a self-signed server certificate handed to the client
///   as its CA file, the usual set-up from PostgreSQL's own documentation (`openssl req
///   -x509` marks the certificate as a CA); OpenSSL, and so psql `verify-full`, accepts
///   it, because the certificate itself is in the trust store. webpki refuses any CA
///   certificate as the end entity, so without this grantplan could not connect where
///   psql does. What is still checked: the validity dates (webpki checks them before the
///   CA flag and fails on them first, which a unit test pins), the host name for
///   `verify-full` (webpki's own name check), and, in the handshake, that the server
///   holds the certificate's key. Not checked: the certificate's self-signature (its
///   bytes are the ones the user chose to trust, so it adds nothing) and its extended
///   key usage (webpki stops before it; the user trusted this very certificate).
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
    pinned: Vec<CertificateDer<'static>>,
}

/// Whether a rustls certificate error is webpki's `CaUsedAsEndEntity` (rustls has no
/// variant of its own for it and passes webpki's error on inside `Other`). webpki checks
/// the server certificate's CA flag before it looks for an issuer, so a self-signed
/// server certificate that is *not* in the CA file fails with this too, not with
/// `UnknownIssuer`: messages explain it (`db::explain_connect_error`).
pub fn is_ca_used_as_end_entity(e: &TlsError) -> bool {
    match e {
        TlsError::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let result = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e)
                if is_ca_used_as_end_entity(&e) && self.pinned.iter().any(|p| p == end_entity) =>
            {
                if self.check_name {
                    let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                    rustls::client::verify_server_name(&parsed, server_name)?;
                }
                return Ok(ServerCertVerified::assertion());
            }
            other => other,
        };
        match result {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
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
    pub fn new(mode: SslMode, roots: Option<&Roots>) -> Result<Self, Error> {
        Ok(Connector {
            inner: MakeRustlsConnect::new(client_config(mode, roots)?),
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

/// The roots a connection is verified against and where they were named, for messages.
pub fn describe_roots(roots: Option<&(Roots, crate::db::Origin)>) -> String {
    match roots {
        Some((Roots::File(path), origin)) => format!("the CA file {} ({origin})", path.display()),
        Some((Roots::System, origin)) => format!("the system's trust store ({origin})"),
        None => "no CA certificates (none was given)".to_string(),
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
        assert_eq!(e, SslModeError::Allow);
        assert!(e.to_string().contains("not supported"), "{e}");
        let e = "verify_full".parse::<SslMode>().unwrap_err();
        assert_eq!(
            e,
            SslModeError::Unknown {
                value: "verify_full".into()
            }
        );
        assert!(e.to_string().contains("verify-full"), "{e}");
    }

    #[test]
    fn redshift_defaults_to_require_everything_else_to_prefer() {
        assert_eq!(default_mode(Some(Target::Redshift)), SslMode::Require);
        assert_eq!(default_mode(Some(Target::Postgres)), SslMode::Prefer);
        assert_eq!(default_mode(None), SslMode::Prefer);
    }

    #[test]
    fn require_with_a_ca_file_verifies_the_chain_as_libpq_does() {
        let file = Roots::File(PathBuf::from("/ca.crt"));
        let file = Some(&file);
        assert_eq!(
            effective_mode(Some(SslMode::Require), file, None),
            SslMode::VerifyCa
        );
        assert_eq!(
            effective_mode(Some(SslMode::Require), None, None),
            SslMode::Require
        );
        // The Redshift default is `require`, so a CA file upgrades it too.
        assert_eq!(
            effective_mode(None, file, Some(Target::Redshift)),
            SslMode::VerifyCa
        );
        // Only `require` is upgraded: prefer stays unverified, verify-full stays full.
        assert_eq!(
            effective_mode(Some(SslMode::Prefer), file, None),
            SslMode::Prefer
        );
        assert_eq!(effective_mode(None, file, None), SslMode::Prefer);
        assert_eq!(
            effective_mode(Some(SslMode::VerifyFull), file, None),
            SslMode::VerifyFull
        );
        // An explicit mode beats the target's default.
        assert_eq!(
            effective_mode(Some(SslMode::Disable), None, Some(Target::Redshift)),
            SslMode::Disable
        );
    }

    #[test]
    fn sslrootcert_system_makes_verify_full_the_default_and_nothing_else() {
        let system = Some(&Roots::System);
        for expected in [None, Some(Target::Postgres), Some(Target::Redshift)] {
            assert_eq!(
                effective_mode(None, system, expected),
                SslMode::VerifyFull,
                "{expected:?}"
            );
        }
        // A mode that was asked for is kept as asked (db::tls_mode refuses a weak one
        // with the reason); `require` is not turned into verify-ca by it.
        for m in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(effective_mode(Some(m), system, None), m);
        }
    }

    #[test]
    fn only_the_exact_value_system_means_the_system_store() {
        assert_eq!(Roots::from_setting(Path::new("system")), Roots::System);
        for file in ["./system", "system/", "/etc/system", "System", "system.crt"] {
            assert_eq!(
                Roots::from_setting(Path::new(file)),
                Roots::File(PathBuf::from(file)),
                "{file}"
            );
        }
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
        assert!(
            matches!(&e, Error::CaFileUnreadable { path, error: crate::input::ReadTextError::Io(_) }
                if *path == missing),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("cannot read CA file"), "{e}");
        assert!(e.contains("nope.crt"), "{e}");

        let empty = dir.path().join("empty.crt");
        std::fs::write(&empty, "").unwrap();
        let e = load_ca_file(&empty).unwrap_err().to_string();
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
        let e = load_ca_file(&key_only).unwrap_err().to_string();
        assert!(
            e.contains("key.pem") && e.contains("holds no certificate"),
            "{e}"
        );

        let broken = dir.path().join("broken.crt");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let e = load_ca_file(&broken).unwrap_err().to_string();
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
            matches!(&e, Error::CaFileUnparsable { path, found: 1 } if *path == garbage),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.contains("garbage.crt") && e.contains("could be parsed"),
            "{e}"
        );

        // A directory is not a file.
        let e = load_ca_file(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "CA file {} is a directory, not a regular file",
                dir.path().display()
            )),
            "{e}"
        );

        // A device is refused unread.
        let e = load_ca_file(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("CA file /dev/zero is a character device, not a regular file"),
            "{e}"
        );
        // Binary (DER, say) is not PEM.
        let der = dir.path().join("ca.der");
        std::fs::write(&der, [0x30, 0x82, 0xff, 0xfe]).unwrap();
        let e = load_ca_file(&der).unwrap_err().to_string();
        assert!(e.contains("ca.der") && e.contains("not UTF-8"), "{e}");
    }

    #[test]
    fn verifying_modes_read_the_ca_file_and_others_do_not() {
        let missing = Roots::File(PathBuf::from("/nonexistent/grantplan-ca.crt"));
        for m in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let e = client_config(m, Some(&missing)).unwrap_err().to_string();
            assert!(e.contains("grantplan-ca.crt"), "{m}: {e}");
            // Verifying needs roots: there is no built-in fallback.
            let e = client_config(m, None).unwrap_err();
            assert!(matches!(e, Error::NoRoots { mode } if mode == m), "{e:?}");
            let e = e.to_string();
            assert!(e.contains("no CA certificates were given"), "{m}: {e}");
        }
        // require/prefer/disable never verify, so they never read it (effective_mode
        // has already turned `require` + CA file into verify-ca).
        for m in [SslMode::Disable, SslMode::Prefer, SslMode::Require] {
            assert!(client_config(m, Some(&missing)).is_ok(), "{m}");
            assert!(client_config(m, None).is_ok(), "{m}");
        }
    }

    // -----------------------------------------------------------------------------------
    // A self-signed server certificate given as the CA file.

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose,
    };

    /// A self-signed certificate for `localhost` marked as a CA, as `openssl req -x509`
    /// makes one (PostgreSQL's documentation's way to a server certificate), valid in
    /// `years` (default: from last year to next).
    fn self_signed(years: Option<(i32, i32)>) -> Cert {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        if let Some((from, to)) = years {
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(to, 1, 1);
        }
        let cert = params.self_signed(&key).unwrap();
        Cert {
            der: cert.der().clone(),
            pem: cert.pem(),
        }
    }

    /// A test certificate, as the server shows it and as a CA file holds it.
    struct Cert {
        der: CertificateDer<'static>,
        pem: String,
    }

    /// `mode`'s verifier with `certs` as the CA file's contents.
    fn verify(
        mode: SslMode,
        certs: &[&Cert],
        end_entity: &Cert,
        host: &str,
    ) -> Result<ServerCertVerified, TlsError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ca.crt");
        let pem: String = certs.iter().map(|c| c.pem.as_str()).collect();
        std::fs::write(&file, pem).unwrap();
        let verifier = verifier(mode, Some(&Roots::File(file))).unwrap();
        let name = ServerName::try_from(host.to_string()).unwrap();
        verifier.verify_server_cert(&end_entity.der, &[], &name, &[], UnixTime::now())
    }

    #[test]
    fn a_self_signed_server_certificate_given_as_the_ca_file_verifies() {
        let cert = self_signed(None);
        // webpki alone refuses it: the reason for the allowance.
        let mut roots = RootCertStore::empty();
        roots.add(cert.der.clone()).unwrap();
        let plain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let e = plain
            .verify_server_cert(&cert.der, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        assert!(is_ca_used_as_end_entity(&e), "{e:?}");

        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            verify(mode, &[&cert], &cert, "localhost").unwrap_or_else(|e| panic!("{mode}: {e}"));
            // Among other certificates in the file, too.
            let other = self_signed(None);
            verify(mode, &[&other, &cert], &cert, "localhost")
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
        }
    }

    #[test]
    fn the_self_signed_allowance_still_checks_the_name_under_verify_full() {
        let cert = self_signed(None);
        for host in ["127.0.0.1", "db.example.com"] {
            let e = verify(SslMode::VerifyFull, &[&cert], &cert, host).unwrap_err();
            assert!(
                matches!(
                    e,
                    TlsError::InvalidCertificate(
                        CertificateError::NotValidForName
                            | CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{host}: {e:?}"
            );
            // verify-ca does not check names, here as everywhere.
            verify(SslMode::VerifyCa, &[&cert], &cert, host).unwrap();
        }
    }

    /// webpki checks the dates before the CA flag, so an expired or not yet valid
    /// certificate never reaches the allowance: if a webpki upgrade changed that order,
    /// this test would say so.
    #[test]
    fn the_self_signed_allowance_still_checks_the_dates() {
        let expired = self_signed(Some((2001, 2002)));
        let future = self_signed(Some((2200, 2201)));
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let e = verify(mode, &[&expired], &expired, "localhost").unwrap_err();
            assert!(
                matches!(
                    e,
                    TlsError::InvalidCertificate(CertificateError::ExpiredContext { .. })
                ),
                "{mode}: {e:?}"
            );
            let e = verify(mode, &[&future], &future, "localhost").unwrap_err();
            assert!(
                matches!(
                    e,
                    TlsError::InvalidCertificate(CertificateError::NotValidYetContext { .. })
                ),
                "{mode}: {e:?}"
            );
        }
    }

    #[test]
    fn only_a_certificate_in_the_ca_file_byte_for_byte_is_trusted_as_itself() {
        let trusted = self_signed(None);
        // Another self-signed certificate for the same name, not in the file.
        let impostor = self_signed(None);
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let e = verify(mode, &[&trusted], &impostor, "localhost").unwrap_err();
            assert!(is_ca_used_as_end_entity(&e), "{mode}: {e:?}");
        }
    }
}
