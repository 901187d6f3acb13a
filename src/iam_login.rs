//! IAM login to a provisioned Redshift cluster: temporary database credentials from
//! Redshift's `GetClusterCredentials`, asked for with the standard AWS credential chain,
//! instead of a password kept in CI.
//!
//! The parameters and their names follow AWS's Python driver, redshift_connector
//! (`iam=True`, `cluster_identifier`, `region`, `db_user`, `db_groups`, `auto_create`;
//! the JDBC driver's `jdbc:redshift:iam://` URLs take the same settings as `ClusterID`,
//! `Region`, `DbUser`, `DbGroups`, `AutoCreate`): grantplan reads them from its flags or
//! from the database URL's parameters, and the database user is the URL's user.
//!
//! Credentials come from the SDK's default chain (`aws-config`): environment variables,
//! the shared profile (`AWS_PROFILE`, SSO included), web identity (`AWS_ROLE_ARN` with
//! `AWS_WEB_IDENTITY_TOKEN_FILE`, which is how GitHub Actions' OIDC role works), container
//! and instance roles. The endpoint is the SDK's too, so `AWS_ENDPOINT_URL` (or
//! `AWS_ENDPOINT_URL_REDSHIFT`) points it elsewhere, as the tests do at moto's server.
//!
//! The temporary password never leaves this module except into the connection
//! settings: [`TemporaryUser`]'s `Debug` hides it, and no error carries it.

use std::fmt;

/// What an IAM login asks Redshift for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IamLogin {
    /// `ClusterIdentifier`.
    pub cluster: String,
    /// The AWS region; `None`: the SDK's (`AWS_REGION`, the profile's).
    pub region: Option<String>,
    /// `DbGroups`: groups the temporary user joins for this session.
    pub db_groups: Vec<String>,
    /// `AutoCreate`: create the database user if it does not exist.
    pub auto_create: bool,
}

/// The temporary user Redshift returned.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryUser {
    /// The database user to log in as: Redshift prefixes it (`IAM:alice`, `IAMA:alice`
    /// when it was auto-created).
    pub user: String,
    pub password: String,
    /// When the password expires, as the API said (RFC 3339).
    pub expiration: Option<String>,
}

impl fmt::Debug for TemporaryUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryUser")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Which step of the IAM login failed. No variant holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    /// The credential chain found nothing.
    #[error("IAM login: no AWS credentials found ({detail})")]
    NoCredentials { detail: String },
    /// No region: neither `--region`, `region=` nor the SDK's chain gave one.
    #[error("IAM login: no AWS region for cluster `{cluster}`")]
    NoRegion { cluster: String },
    /// The API answered with an error.
    #[error("IAM login: Redshift refused GetClusterCredentials for cluster `{cluster}` and user `{db_user}`: {code}: {message}")]
    Refused {
        cluster: String,
        db_user: String,
        code: String,
        message: String,
    },
    /// The call did not complete (network, endpoint, timeout).
    #[error("IAM login: GetClusterCredentials for cluster `{cluster}` failed: {detail}")]
    Failed { cluster: String, detail: String },
}

impl IamError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            IamError::NoCredentials { .. } => "give the job an AWS identity: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE (SSO included), a web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; in GitHub Actions, aws-actions/configure-aws-credentials with OIDC), or a container or instance role".to_string(),
            IamError::NoRegion { .. } => "pass --region, write region= in the database URL, or set AWS_REGION".to_string(),
            IamError::Refused { code, .. } => match code.as_str() {
                "ClusterNotFound" | "ClusterNotFoundFault" => "check --cluster-id (the cluster's identifier, not its endpoint) and the region".to_string(),
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => "the AWS identity needs redshift:GetClusterCredentials on the cluster's dbuser (and dbgroup, with --db-groups) ARNs".to_string(),
                _ => "see the error code in the Redshift API reference for GetClusterCredentials".to_string(),
            },
            IamError::Failed { .. } => "check the network path to the Redshift API (and AWS_ENDPOINT_URL if set)".to_string(),
        }
    }
}

/// Asks Redshift for a temporary password for `db_user` in `db_name`.
pub async fn temporary_user(
    login: &IamLogin,
    db_user: &str,
    db_name: &str,
) -> Result<TemporaryUser, IamError> {
    use aws_sdk_redshift::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
    use aws_smithy_http_client::{tls, Builder};
    // The rustls + ring the rest of grantplan uses (src/tls.rs), with the platform's
    // roots as the SDK's default client would.
    let http = Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(region) = &login.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        return Err(IamError::NoRegion {
            cluster: login.cluster.clone(),
        });
    }
    let client = aws_sdk_redshift::Client::new(&conf);
    let mut request = client
        .get_cluster_credentials()
        .cluster_identifier(&login.cluster)
        .db_user(db_user)
        .db_name(db_name)
        .auto_create(login.auto_create);
    for g in &login.db_groups {
        request = request.db_groups(g);
    }
    match request.send().await {
        Ok(out) => Ok(TemporaryUser {
            user: out.db_user().unwrap_or(db_user).to_string(),
            password: out.db_password().unwrap_or_default().to_string(),
            expiration: out.expiration().map(|t| t.to_string()),
        }),
        Err(SdkError::ServiceError(e)) => {
            let e = e.err();
            Err(IamError::Refused {
                cluster: login.cluster.clone(),
                db_user: db_user.to_string(),
                code: e.code().unwrap_or("unknown").to_string(),
                message: e.message().unwrap_or_default().to_string(),
            })
        }
        Err(e) => {
            let detail = DisplayErrorContext(&e).to_string();
            // The chain's failure reaches here as a request that could not be signed;
            // its text is the only thing that tells it apart.
            if detail.contains("no credentials")
                || detail.contains("CredentialsNotLoaded")
                || detail.contains("credentials provider")
            {
                Err(IamError::NoCredentials { detail })
            } else {
                Err(IamError::Failed {
                    cluster: login.cluster.clone(),
                    detail,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_users_password_is_never_shown() {
        let u = TemporaryUser {
            user: "IAM:alice".into(),
            password: "Tmp-S3cr3t".into(),
            expiration: None,
        };
        let shown = format!("{u:?}");
        assert!(!shown.contains("S3cr3t"), "{shown}");
        assert!(shown.contains("IAM:alice"), "{shown}");
    }

    #[test]
    fn each_refusal_says_what_to_do() {
        let e = IamError::Refused {
            cluster: "ml".into(),
            db_user: "alice".into(),
            code: "ClusterNotFound".into(),
            message: "Cluster ml not found.".into(),
        };
        assert_eq!(
            e.to_string(),
            "IAM login: Redshift refused GetClusterCredentials for cluster `ml` and user \
             `alice`: ClusterNotFound: Cluster ml not found."
        );
        assert!(e.help().contains("--cluster-id"));
    }
}
