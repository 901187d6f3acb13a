//! `grantplan iam`: the IAM documents for a Redshift cluster's ML role, from the resolved
//! `cluster:` section. A pure module: a [`Cluster`] in, file names and their text out.
//! grantplan calls no AWS API; the AWS CLI commands it writes are for a person to review
//! and run.
//!
//! Source: the seed document, Amazon Redshift Database Developer Guide, "Cluster and
//! configure setup for Amazon Redshift ML administration" (`getting-started-machine-
//! learning`, kept in the repository's shared docs as `redshift-ml-admin-setup.en.txt` and
//! the newer Korean edition `redshift-ml-admin-setup.ko.txt`, which adds Amazon Forecast;
//! where they differ the newer one is followed). What is taken from it:
//!
//! - the trust policy: `redshift.amazonaws.com` and `sagemaker.amazonaws.com` may
//!   `sts:AssumeRole`; the Korean edition adds `forecast.amazonaws.com`, which is written
//!   only with `forecast: true`;
//! - the restrictive permission policy, statement by statement and action by action in
//!   the seed's order: CloudWatch metrics, ECR pulls, CloudWatch Logs and
//!   `sagemaker:*Job*` on `*`; `iam:PassRole` on the role and S3 object actions on the
//!   user's bucket and `redshift-downloads`; bucket listing on both; the optional KMS
//!   statement on the user's key;
//! - the simple option's managed policies (`AmazonS3FullAccess`,
//!   `AmazonSageMakerFullAccess`, and `AmazonForecastFullAccess` for Forecast);
//! - the enhanced-VPC-routing statement (network interfaces), verbatim.
//!
//! What grantplan changes, and why:
//!
//! - `<your-account-id>`, `<your-region>`, `<your-role>`, `<your-s3-bucket>` /
//!   `DOC-EXAMPLE-BUCKET` and `<your-kms-key>` are filled in from `cluster:`; a key given
//!   as a key ARN is used as it is;
//! - every ARN is built for the cluster's partition (`arn:aws-cn:...`,
//!   `arn:aws-us-gov:...`), the seed writing `arn:aws:` only; service principals are
//!   written as the seed has them in every partition;
//! - the seed's `// Optional section` comment and its leading comma are not JSON: the KMS
//!   statement is written, as an ordinary array element, only when `kms_key_id` is given
//!   (the Korean edition's missing quote after `DOC-EXAMPLE-BUCKET` is not reproduced);
//! - `redshift_downloads: false` drops the `redshift-downloads` resources, which the seed
//!   says may be removed when the sample data is not needed;
//! - the seed lists the network-interface permissions for the console-created role;
//!   grantplan writes them for either policy style when `enhanced_vpc_routing: true`, as
//!   their own inline policy (`vpc-routing-policy.json`), since they are what lets Redshift
//!   attach compilation tasks to the VPC;
//! - with `policy: managed`, a KMS key gets the seed's KMS statement as an inline policy
//!   (`kms-policy.json`); with `policy: restrictive` and `forecast: true`,
//!   `AmazonForecastFullAccess` is attached (the seed documents Forecast's permissions
//!   only as that managed policy).
//!
//! Redshift Serverless (`workgroup` and `namespace` in `cluster:`; sources quoted in
//! docs/research/serverless.md):
//!
//! - the trust policy adds `redshift-serverless.amazonaws.com` after
//!   `redshift.amazonaws.com`: the Management Guide's "Granting permissions to Amazon
//!   Redshift Serverless" (`serverless-security-other-services`) asks that the trust
//!   relationship "contains redshift-serverless.amazonaws.com and redshift.amazonaws.com as
//!   principal service names"; the seed's SageMaker (and Forecast) principals stay;
//! - the permission policies are the provisioned ones: no source gives Serverless other
//!   permissions for Redshift ML;
//! - the role is associated with the namespace by `aws redshift-serverless
//!   update-namespace --iam-roles ARN --default-iam-role-arn ARN` instead of
//!   `modify-cluster-iam-roles`. The API reference (`API_UpdateNamespace`) has each of the
//!   two "updated together with" the other, so the role becomes the namespace's default;
//!   `--iam-roles` sets the namespace's whole list (an update of the default without "the
//!   entire list of IAM roles" is refused, terraform-provider-aws#39268), so commands.sh
//!   says to add the namespace's other roles to it. No admin user name or password is
//!   needed: UpdateNamespace takes them only to change them.
//!
//! Output is deterministic: JSON is pretty-printed with keys in the seed's order
//! (`Version`, `Statement`; `Effect`, `Principal`, `Action`, `Resource`) and ends with a
//! newline.

use serde::Serialize;

use crate::config::{Cluster, Partition, PolicyStyle};

/// The policy language version every document uses.
pub const POLICY_VERSION: &str = "2012-10-17";

/// File names, in the order the documents are written.
pub const TRUST_POLICY: &str = "trust-policy.json";
pub const PERMISSION_POLICY: &str = "permission-policy.json";
pub const MANAGED_POLICIES: &str = "managed-policies.txt";
pub const KMS_POLICY: &str = "kms-policy.json";
pub const VPC_ROUTING_POLICY: &str = "vpc-routing-policy.json";
pub const COMMANDS: &str = "commands.sh";
/// Every file `grantplan iam --out` may write.
pub const ALL_FILES: &[&str] = &[
    TRUST_POLICY,
    PERMISSION_POLICY,
    MANAGED_POLICIES,
    KMS_POLICY,
    VPC_ROUTING_POLICY,
    COMMANDS,
];

/// Names of the inline policies `commands.sh` puts on the role.
pub const PERMISSION_POLICY_NAME: &str = "redshift-ml";
pub const KMS_POLICY_NAME: &str = "redshift-ml-kms";
pub const VPC_ROUTING_POLICY_NAME: &str = "redshift-ml-vpc-routing";

/// AWS's sample-data bucket in the seed's restrictive policy.
pub const REDSHIFT_DOWNLOADS: &str = "redshift-downloads";

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// One statement. Fields serialize in the seed's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Principal", skip_serializing_if = "Option::is_none")]
    pub principal: Option<ServicePrincipal>,
    #[serde(rename = "Action")]
    pub action: OneOrMany,
    #[serde(rename = "Resource", skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany>,
}

/// `"Principal": {"Service": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePrincipal {
    #[serde(rename = "Service")]
    pub service: Vec<String>,
}

/// A string, or a list of strings, as the seed writes each element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn many(items: &[&str]) -> Self {
        OneOrMany::Many(items.iter().map(|s| s.to_string()).collect())
    }

    /// The values, whichever the form.
    #[cfg(test)]
    pub fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

fn allow(action: OneOrMany, resource: OneOrMany) -> Statement {
    Statement {
        effect: "Allow",
        principal: None,
        action,
        resource: Some(resource),
    }
}

/// Redshift Serverless's service principal, which its trust relationship needs beside
/// `redshift.amazonaws.com`.
pub const REDSHIFT_SERVERLESS_PRINCIPAL: &str = "redshift-serverless.amazonaws.com";

/// The services that may assume the role: Redshift (and Redshift Serverless, for a
/// namespace) and SageMaker, and Forecast when Forecast models are used.
pub fn service_principals(cluster: &Cluster) -> Vec<&'static str> {
    let mut v = vec!["redshift.amazonaws.com"];
    if cluster.serverless.is_some() {
        v.push(REDSHIFT_SERVERLESS_PRINCIPAL);
    }
    v.push("sagemaker.amazonaws.com");
    if cluster.forecast {
        v.push("forecast.amazonaws.com");
    }
    v
}

/// The role's trust policy (the seed's step 3).
pub fn trust_policy(cluster: &Cluster) -> PolicyDocument {
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![Statement {
            effect: "Allow",
            principal: Some(ServicePrincipal {
                service: service_principals(cluster)
                    .into_iter()
                    .map(String::from)
                    .collect(),
            }),
            action: OneOrMany::One("sts:AssumeRole".into()),
            resource: None,
        }],
    }
}

fn s3_arn(partition: Partition, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The buckets of the restrictive policy's S3 statements, without repeats.
fn buckets(cluster: &Cluster) -> Vec<&str> {
    let mut v = vec![cluster.bucket.as_str()];
    if cluster.redshift_downloads && cluster.bucket != REDSHIFT_DOWNLOADS {
        v.push(REDSHIFT_DOWNLOADS);
    }
    v
}

/// The seed's optional KMS statement, on the key's ARN; `None` without a key.
pub fn kms_statement(cluster: &Cluster) -> Option<Statement> {
    let key = cluster.kms_key.as_ref()?;
    Some(allow(
        OneOrMany::many(&[
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
        ]),
        OneOrMany::Many(vec![key.arn.clone()]),
    ))
}

/// The seed's restrictive permission policy, filled in.
pub fn permission_policy(cluster: &Cluster) -> PolicyDocument {
    let p = cluster.partition;
    let buckets = buckets(cluster);
    let mut objects = vec![cluster.role_arn()];
    objects.extend(buckets.iter().map(|b| format!("{}/*", s3_arn(p, b))));
    let mut statement = vec![
        allow(
            OneOrMany::many(&[
                "cloudwatch:PutMetricData",
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "sagemaker:*Job*",
            ]),
            OneOrMany::One("*".into()),
        ),
        allow(
            OneOrMany::many(&[
                "iam:PassRole",
                "s3:AbortMultipartUpload",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:PutObject",
            ]),
            OneOrMany::Many(objects),
        ),
        allow(
            OneOrMany::many(&["s3:GetBucketLocation", "s3:ListBucket"]),
            OneOrMany::Many(buckets.iter().map(|b| s3_arn(p, b)).collect()),
        ),
    ];
    statement.extend(kms_statement(cluster));
    PolicyDocument {
        version: POLICY_VERSION,
        statement,
    }
}

/// The seed's network-interface statement for clusters with enhanced VPC routing.
pub fn vpc_routing_statement() -> Statement {
    allow(
        OneOrMany::many(&[
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeVpcs",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
            "ec2:CreateNetworkInterface",
            "ec2:ModifyNetworkInterfaceAttribute",
        ]),
        OneOrMany::One("*".into()),
    )
}

/// A policy document holding one statement.
fn single(statement: Statement) -> PolicyDocument {
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![statement],
    }
}

/// `arn:PARTITION:iam::aws:policy/NAME`.
pub fn managed_policy_arn(partition: Partition, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

/// The AWS managed policies to attach: the simple option's two with `policy: managed`,
/// and Forecast's with `forecast: true` (whatever the style).
pub fn managed_policy_arns(cluster: &Cluster) -> Vec<String> {
    let mut names = Vec::new();
    if cluster.policy == PolicyStyle::Managed {
        names.extend(["AmazonS3FullAccess", "AmazonSageMakerFullAccess"]);
    }
    if cluster.forecast {
        names.push("AmazonForecastFullAccess");
    }
    names
        .into_iter()
        .map(|n| managed_policy_arn(cluster.partition, n))
        .collect()
}

/// One file `grantplan iam` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: &'static str,
    pub contents: String,
}

/// Pretty JSON with a trailing newline.
pub fn to_json(doc: &PolicyDocument) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("a policy document serializes");
    s.push('\n');
    s
}

/// Every file for `cluster`, in order: the trust policy, the permissions (the
/// restrictive policy, or the managed-policy list and a KMS policy), the managed-policy
/// list of a restrictive role with Forecast, the VPC routing policy, and the commands.
pub fn files(cluster: &Cluster) -> Vec<File> {
    let mut out = vec![File {
        name: TRUST_POLICY,
        contents: to_json(&trust_policy(cluster)),
    }];
    if cluster.policy == PolicyStyle::Restrictive {
        out.push(File {
            name: PERMISSION_POLICY,
            contents: to_json(&permission_policy(cluster)),
        });
    }
    let arns = managed_policy_arns(cluster);
    if !arns.is_empty() {
        out.push(File {
            name: MANAGED_POLICIES,
            contents: arns.iter().map(|a| format!("{a}\n")).collect(),
        });
    }
    if cluster.policy == PolicyStyle::Managed {
        if let Some(kms) = kms_statement(cluster) {
            out.push(File {
                name: KMS_POLICY,
                contents: to_json(&single(kms)),
            });
        }
    }
    if cluster.enhanced_vpc_routing {
        out.push(File {
            name: VPC_ROUTING_POLICY,
            contents: to_json(&single(vpc_routing_statement())),
        });
    }
    let names: Vec<&str> = out.iter().map(|f| f.name).collect();
    out.push(File {
        name: COMMANDS,
        contents: commands(cluster, &names),
    });
    out
}

/// All files as one text for standard output, each headed by a line naming it.
pub fn render(files: &[File]) -> String {
    files
        .iter()
        .map(|f| format!("# --- {} ---\n{}", f.name, f.contents))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words of `text` in lines of at most `width` characters (a longer word stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A word for `sh`, quoted when it holds anything but safe characters.
fn sh(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@/:%-".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How to run `commands.sh`: a provisioned cluster's identifier is not in grants.yaml, so
/// it is given as `CLUSTER_ID`; a Serverless namespace is named in it.
pub fn run_hint(cluster: &Cluster) -> &'static str {
    match cluster.serverless {
        None => "CLUSTER_ID=my-cluster sh commands.sh",
        Some(_) => "sh commands.sh",
    }
}

/// `commands.sh`: the AWS CLI commands that create the role, give it its permissions and
/// associate it with the cluster (or the Serverless namespace). `written` are the other
/// files, which it refers to.
pub fn commands(cluster: &Cluster, written: &[&str]) -> String {
    let role = sh(&cluster.role_name);
    let region = sh(&cluster.region);
    let role_arn = sh(&cluster.role_arn());
    let style = match cluster.policy {
        PolicyStyle::Restrictive => "the restrictive policy",
        PolicyStyle::Managed => "AWS managed policies",
    };
    let serverless = cluster.serverless.as_ref();
    let mut s = String::from("#!/bin/sh\n");
    let comment = |s: &mut String, text: &str| {
        for l in wrap(text, 86) {
            s.push_str(&format!("# {l}\n"));
        }
    };
    let command = |s: &mut String, first: String, rest: String| {
        s.push_str(&format!("{first} \\\n    {rest}\n"));
    };
    comment(
        &mut s,
        &format!(
            "The AWS CLI commands that create the IAM role Redshift ML uses, as `cluster:` in \
             {} describes it: role {} in account {}, region {} (partition {}), with {style}. \
             Written by `grantplan iam`: grantplan itself calls no AWS API. Review them, then \
             run them from the directory that holds the policy files, with credentials allowed \
             to create IAM roles and {}:",
            cluster.loc.file,
            cluster.role_name,
            cluster.account_id,
            cluster.region,
            cluster.partition,
            match serverless {
                None => "modify the cluster".to_string(),
                Some(sv) => format!(
                    "update namespace {} of Redshift Serverless (workgroup {}); the namespace's \
                     admin user name and password are not needed (update-namespace takes them \
                     only to change them)",
                    sv.namespace, sv.workgroup
                ),
            },
        ),
    );
    s.push_str(&format!("#\n#   {}\n#\n", run_hint(cluster)));
    if serverless.is_none() {
        comment(
            &mut s,
            "CLUSTER_ID is a placeholder: the cluster identifier is not in grants.yaml.",
        );
    }
    s.push_str("set -eu\n");
    if serverless.is_none() {
        s.push_str(
            ": \"${CLUSTER_ID:?set CLUSTER_ID to the identifier of the Redshift cluster}\"\n",
        );
    }

    let iam = |verb: &str| format!("aws iam {verb} --region {region} --role-name {role}");
    s.push('\n');
    comment(
        &mut s,
        &format!(
            "The role, which {} may assume.",
            and_list(&service_principals(cluster))
        ),
    );
    command(
        &mut s,
        iam("create-role"),
        format!("--assume-role-policy-document file://{TRUST_POLICY}"),
    );
    let inline = [
        (
            PERMISSION_POLICY,
            PERMISSION_POLICY_NAME,
            "Its permissions: the restrictive policy of the Redshift ML documentation.",
        ),
        (
            KMS_POLICY,
            KMS_POLICY_NAME,
            "The KMS key CREATE MODEL uses.",
        ),
        (
            VPC_ROUTING_POLICY,
            VPC_ROUTING_POLICY_NAME,
            "Enhanced VPC routing: network interfaces for compilation tasks in the VPC.",
        ),
    ];
    let arns = managed_policy_arns(cluster);
    for (file, name, what) in &inline[..1] {
        if written.contains(file) {
            s.push('\n');
            comment(&mut s, what);
            command(
                &mut s,
                iam("put-role-policy"),
                format!("--policy-name {name} --policy-document file://{file}"),
            );
        }
    }
    if !arns.is_empty() {
        s.push('\n');
        comment(
            &mut s,
            &format!("AWS managed policies (the list in {MANAGED_POLICIES})."),
        );
        for arn in &arns {
            command(
                &mut s,
                iam("attach-role-policy"),
                format!("--policy-arn {}", sh(arn)),
            );
        }
    }
    for (file, name, what) in &inline[1..] {
        if written.contains(file) {
            s.push('\n');
            comment(&mut s, what);
            command(
                &mut s,
                iam("put-role-policy"),
                format!("--policy-name {name} --policy-document file://{file}"),
            );
        }
    }
    s.push('\n');
    if let Some(sv) = serverless {
        let namespace = sh(&sv.namespace);
        comment(
            &mut s,
            &format!(
                "Associate the role with namespace {} and make it the namespace's default IAM \
                 role (CREATE MODEL ... IAM_ROLE default): the API takes --iam-roles and \
                 --default-iam-role-arn together.",
                sv.namespace
            ),
        );
        comment(
            &mut s,
            &format!(
                "CAUTION: --iam-roles REPLACES the namespace's list of IAM roles, it does not \
                 add to it. Add the ARNs of the namespace's other roles to the list, \
                 separated by spaces, or they are taken away from it (`aws redshift-serverless \
                 get-namespace --namespace-name {} --region {}` shows them, under iamRoles). \
                 To keep another default role, write its ARN after --default-iam-role-arn.",
                sv.namespace, cluster.region
            ),
        );
        s.push_str(&format!(
            "aws redshift-serverless update-namespace --namespace-name {namespace} \\\n    \
             --iam-roles {role_arn} \\\n    --default-iam-role-arn {role_arn} \\\n    \
             --region {region}\n"
        ));
        return s;
    }
    comment(
        &mut s,
        "Associate the role with the cluster (CLUSTER_ID: the placeholder above).",
    );
    let redshift = format!(
        "aws redshift modify-cluster-iam-roles --region {region} --cluster-identifier \"$CLUSTER_ID\""
    );
    command(
        &mut s,
        redshift.clone(),
        format!("--add-iam-roles {role_arn}"),
    );
    s.push('\n');
    comment(
        &mut s,
        "Optional: make it the cluster's default IAM role (CREATE MODEL ... IAM_ROLE default).",
    );
    s.push_str(&format!(
        "# {redshift} \\\n#     --default-iam-role-arn {role_arn}\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KmsKey;
    use crate::diag::Location;

    fn cluster() -> Cluster {
        Cluster {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            partition: Partition::Aws,
            role_name: "RedshiftML".into(),
            bucket: "my-ml-bucket".into(),
            kms_key: None,
            enhanced_vpc_routing: false,
            forecast: false,
            policy: PolicyStyle::Restrictive,
            redshift_downloads: true,
            serverless: None,
            loc: Location {
                file: "grants.yaml".into(),
                line: 1,
                column: 1,
                path: "cluster".into(),
                len: 7,
            },
        }
    }

    fn names(c: &Cluster) -> Vec<&'static str> {
        files(c).iter().map(|f| f.name).collect()
    }

    #[test]
    fn the_files_follow_the_style_and_options() {
        let mut c = cluster();
        assert_eq!(names(&c), [TRUST_POLICY, PERMISSION_POLICY, COMMANDS]);
        c.forecast = true;
        c.enhanced_vpc_routing = true;
        assert_eq!(
            names(&c),
            [
                TRUST_POLICY,
                PERMISSION_POLICY,
                MANAGED_POLICIES,
                VPC_ROUTING_POLICY,
                COMMANDS
            ]
        );
        c.policy = PolicyStyle::Managed;
        c.forecast = false;
        c.enhanced_vpc_routing = false;
        assert_eq!(names(&c), [TRUST_POLICY, MANAGED_POLICIES, COMMANDS]);
        c.kms_key = Some(KmsKey {
            written: "k".into(),
            arn: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
        });
        assert_eq!(
            names(&c),
            [TRUST_POLICY, MANAGED_POLICIES, KMS_POLICY, COMMANDS]
        );
    }

    #[test]
    fn json_keys_keep_the_seed_order() {
        let text = to_json(&trust_policy(&cluster()));
        let order = [
            "\"Version\"",
            "\"Statement\"",
            "\"Effect\"",
            "\"Principal\"",
            "\"Action\"",
        ];
        let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(!text.contains("Resource"), "{text}");
    }

    #[test]
    fn the_bucket_is_not_repeated_when_it_is_redshift_downloads() {
        let mut c = cluster();
        c.bucket = REDSHIFT_DOWNLOADS.into();
        let p = permission_policy(&c);
        assert_eq!(
            p.statement[2].resource.as_ref().unwrap().values(),
            ["arn:aws:s3:::redshift-downloads"]
        );
        c.bucket = "my-ml-bucket".into();
        c.redshift_downloads = false;
        let p = permission_policy(&c);
        assert_eq!(
            p.statement[1].resource.as_ref().unwrap().values(),
            [
                "arn:aws:iam::123456789012:role/RedshiftML",
                "arn:aws:s3:::my-ml-bucket/*"
            ]
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(sh("RedshiftML+=,.@_-"), "RedshiftML+=,.@_-");
        assert_eq!(sh("arn:aws:iam::aws:policy/X"), "arn:aws:iam::aws:policy/X");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
    }
}
