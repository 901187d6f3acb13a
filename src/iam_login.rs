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

/// Where the temporary credentials come from: a provisioned cluster
/// (`GetClusterCredentials`) or a Serverless workgroup (`GetCredentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Cluster(String),
    Workgroup(String),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Cluster(c) => write!(f, "cluster `{c}`"),
            Endpoint::Workgroup(w) => write!(f, "workgroup `{w}`"),
        }
    }
}

impl Endpoint {
    /// The API call that gives the credentials.
    pub fn call(&self) -> &'static str {
        match self {
            Endpoint::Cluster(_) => "GetClusterCredentials",
            Endpoint::Workgroup(_) => "GetCredentials",
        }
    }
}

/// What an IAM login asks Redshift for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamLogin {
    /// `ClusterIdentifier`, or the Serverless `workgroupName`.
    pub endpoint: Endpoint,
    /// The AWS region; `None`: the SDK's (`AWS_REGION`, the profile's).
    pub region: Option<String>,
    /// `DbGroups`: groups the temporary user joins for this session (a cluster's; a
    /// workgroup takes them from the identity's `RedshiftDbGroups` tag).
    pub db_groups: Vec<String>,
    /// `AutoCreate`: create the database user if it does not exist (a cluster's).
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
    #[error("IAM login: no AWS region for {endpoint}")]
    NoRegion { endpoint: Endpoint },
    /// The API answered with an error.
    #[error("IAM login: Redshift refused {} for {endpoint} and user `{db_user}`: {code}: {message}", .endpoint.call())]
    Refused {
        endpoint: Endpoint,
        db_user: String,
        code: String,
        message: String,
    },
    /// The call did not complete (network, endpoint, timeout).
    #[error("IAM login: {} for {endpoint} failed: {detail}", .endpoint.call())]
    Failed { endpoint: Endpoint, detail: String },
}

impl IamError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            IamError::NoCredentials { .. } => "give the job an AWS identity: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE (SSO included), a web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; in GitHub Actions, aws-actions/configure-aws-credentials with OIDC), or a container or instance role".to_string(),
            IamError::NoRegion { .. } => "pass --region, write region= in the database URL, or set AWS_REGION".to_string(),
            IamError::Refused { code, .. } => match code.as_str() {
                "ClusterNotFound" | "ClusterNotFoundFault" => "check --cluster-id (the cluster's identifier, not its endpoint) and the region".to_string(),
                "ResourceNotFoundException" => "check --workgroup (the workgroup's name) and the region".to_string(),
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => "the AWS identity needs redshift:GetClusterCredentials on the cluster's dbuser (and dbgroup, with --db-groups) ARNs, or redshift-serverless:GetCredentials on the workgroup".to_string(),
                _ => "see the error code in the Redshift API reference for GetClusterCredentials".to_string(),
            },
            IamError::Failed { .. } => "check the network path to the Redshift API (and AWS_ENDPOINT_URL if set)".to_string(),
        }
    }
}

/// Asks Redshift for a temporary password for `db_user` in `db_name`, with the SDK's
/// default configuration (credential chain, region, endpoint).
pub async fn temporary_user(
    login: &IamLogin,
    db_user: &str,
    db_name: &str,
) -> Result<TemporaryUser, IamError> {
    use aws_smithy_http_client::{tls, Builder};
    // The rustls + ring the rest of grantplan uses (src/tls.rs).
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
    temporary_user_with(&conf, login, db_user, db_name).await
}

/// [`temporary_user`] with the SDK configuration `conf` (the tests give one whose HTTP
/// client replays recorded exchanges).
pub async fn temporary_user_with(
    conf: &aws_config::SdkConfig,
    login: &IamLogin,
    db_user: &str,
    db_name: &str,
) -> Result<TemporaryUser, IamError> {
    use aws_sdk_redshift::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
    if conf.region().is_none() {
        return Err(IamError::NoRegion {
            endpoint: login.endpoint.clone(),
        });
    }
    // The two APIs' errors, as (code, message) for a refusal, else the whole story.
    fn failure<E, R>(e: SdkError<E, R>) -> Result<(String, String), String>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match e {
            SdkError::ServiceError(e) => {
                let e = e.err();
                Ok((
                    e.code().unwrap_or("unknown").to_string(),
                    e.message().unwrap_or_default().to_string(),
                ))
            }
            e => Err(DisplayErrorContext(&e).to_string()),
        }
    }
    let answer = match &login.endpoint {
        Endpoint::Cluster(cluster) => {
            let mut request = aws_sdk_redshift::Client::new(conf)
                .get_cluster_credentials()
                .cluster_identifier(cluster)
                .db_user(db_user)
                .db_name(db_name)
                .auto_create(login.auto_create);
            for g in &login.db_groups {
                request = request.db_groups(g);
            }
            request
                .send()
                .await
                .map(|out| temporary(db_user, out.db_user(), out.db_password(), out.expiration()))
                .map_err(failure)
        }
        Endpoint::Workgroup(workgroup) => aws_sdk_redshiftserverless::Client::new(conf)
            .get_credentials()
            .workgroup_name(workgroup)
            .db_name(db_name)
            .send()
            .await
            .map(|out| temporary(db_user, out.db_user(), out.db_password(), out.expiration()))
            .map_err(failure),
    };
    /// Either API's answer: the user it names (else the one asked for), its password.
    fn temporary(
        asked: &str,
        user: Option<&str>,
        password: Option<&str>,
        expiration: Option<&aws_sdk_redshift::primitives::DateTime>,
    ) -> TemporaryUser {
        TemporaryUser {
            user: user.unwrap_or(asked).to_string(),
            password: password.unwrap_or_default().to_string(),
            expiration: expiration.map(|t| t.to_string()),
        }
    }
    answer.map_err(|e| match e {
        Ok((code, message)) => IamError::Refused {
            endpoint: login.endpoint.clone(),
            db_user: db_user.to_string(),
            code,
            message,
        },
        // The chain's failure reaches here as a request that could not be signed; its
        // text is the only thing that tells it apart.
        Err(detail)
            if detail.contains("no credentials")
                || detail.contains("CredentialsNotLoaded")
                || detail.contains("credentials provider") =>
        {
            IamError::NoCredentials { detail }
        }
        Err(detail) => IamError::Failed {
            endpoint: login.endpoint.clone(),
            detail,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SDK configuration whose HTTP client captures the request and answers `status`
    /// with the JSON `body`.
    fn replaying(
        status: u16,
        body: &'static str,
    ) -> (
        aws_config::SdkConfig,
        aws_smithy_http_client::test_util::CaptureRequestReceiver,
    ) {
        use aws_sdk_redshiftserverless::config::{Credentials, SharedCredentialsProvider};
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .body(aws_smithy_types::body::SdkBody::from(body))
            .unwrap();
        let (client, captured) = aws_smithy_http_client::test_util::capture_request(Some(response));
        let conf = aws_config::SdkConfig::builder()
            .http_client(client)
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "S3cr3tKeyExample",
                None,
                None,
                "test",
            )))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        (conf, captured)
    }

    fn workgroup(name: &str) -> IamLogin {
        IamLogin {
            endpoint: Endpoint::Workgroup(name.into()),
            region: None,
            db_groups: Vec::new(),
            auto_create: false,
        }
    }

    /// moto has no redshift-serverless: the exchange is checked against the SDK's own
    /// capturing client (the request it sends, the answer it reads).
    #[tokio::test]
    async fn a_workgroup_login_asks_get_credentials_and_reads_its_answer() {
        let (conf, captured) = replaying(
            200,
            r#"{"dbUser":"IAMR:ci-role","dbPassword":"Tmp-S3cr3t","expiration":1796601600}"#,
        );
        let u = temporary_user_with(&conf, &workgroup("ml-wg"), "alice", "dev")
            .await
            .unwrap();
        assert_eq!(u.user, "IAMR:ci-role");
        assert_eq!(u.password, "Tmp-S3cr3t");
        assert!(u.expiration.is_some());
        let request = captured.expect_request();
        assert_eq!(
            request.uri(),
            "https://redshift-serverless.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            request.headers().get("x-amz-target"),
            Some("RedshiftServerless.GetCredentials")
        );
        let body: serde_json::Value =
            serde_json::from_slice(request.body().bytes().unwrap()).unwrap();
        assert_eq!(body["workgroupName"], "ml-wg");
        assert_eq!(body["dbName"], "dev");
    }

    #[tokio::test]
    async fn a_workgroup_the_api_does_not_know_is_a_refusal_with_its_code() {
        let (conf, _captured) = replaying(
            400,
            r#"{"__type":"ResourceNotFoundException","message":"Workgroup ml-wg not found"}"#,
        );
        let e = temporary_user_with(&conf, &workgroup("ml-wg"), "alice", "dev")
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "IAM login: Redshift refused GetCredentials for workgroup `ml-wg` and user `alice`: \
             ResourceNotFoundException: Workgroup ml-wg not found"
        );
        assert!(e.help().contains("--workgroup"), "{}", e.help());
    }

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
            endpoint: Endpoint::Cluster("ml".into()),
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
