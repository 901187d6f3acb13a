//! `cluster:`: the part of setting up Redshift ML that lives outside SQL, the IAM role that
//! Redshift and SageMaker assume (the seed document, "Cluster setup"; see
//! docs/redshift-reference.md §6). `grantplan iam` turns a resolved [`Cluster`] into policy
//! documents; `grantplan doctor` reads the role from it.
//!
//! The checks here are pure functions over the values as written, each returning what is
//! wrong and what to do; `resolve.rs` puts them at the YAML location. Where each rule comes
//! from:
//!
//! - account id: exactly 12 digits (AWS General Reference, "Amazon Resource Names": "the ID
//!   of the AWS account that owns the resource, without the hyphens. For example,
//!   123456789012").
//! - region and partition: the `regionRegex` of each partition in the AWS SDKs'
//!   partitions.json (aws-sdk-js-v3, `packages/util-endpoints/src/lib/aws/partitions.json`):
//!   `aws` `^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`, `aws-cn` `^cn-\w+-\d+$`, `aws-us-gov`
//!   `^us-gov-\w+-\d+$`; the other partitions there (`aws-iso`, `-iso-b`, `-iso-e`,
//!   `-iso-f`, `aws-eusc`) are recognised and refused, since grantplan builds ARNs for the
//!   three partitions the ARN documentation names.
//! - role name: IAM `CreateRole`'s `RoleName`, 1 to 64 characters of `[\w+=,.@-]` (ASCII
//!   letters, digits and `_+=,.@-`); names are not distinguished by case.
//! - bucket: Amazon S3 "General purpose bucket naming rules".
//! - KMS key: AWS KMS "Specifying KMS keys in IAM policy statements": a policy's
//!   `Resource` must be the key ARN; a key id, alias name or alias ARN cannot identify a
//!   key there. Key ids are `1234abcd-12ab-34cd-56ef-1234567890ab` (single-Region) or
//!   `mrk-` and 32 hex digits (multi-Region), per the KMS API reference.
//! - Redshift Serverless `workgroup` and `namespace`: the Redshift Serverless API
//!   reference, `CreateNamespace`'s `namespaceName` ("Length Constraints: Minimum length of
//!   3. Maximum length of 64. Pattern: `^[a-z0-9-]+$`") and the same constraints on
//!   `workgroupName` (`DeleteWorkgroup`; see docs/research/serverless.md): 3 to 64
//!   characters of lower-case letters, digits and `-`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::diag::Location;

/// The AWS partition the cluster's account lives in: which ARNs to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum Partition {
    /// The standard AWS Regions.
    #[default]
    #[serde(rename = "aws")]
    Aws,
    /// The China Regions (`cn-north-1`, `cn-northwest-1`).
    #[serde(rename = "aws-cn")]
    AwsCn,
    /// AWS GovCloud (US) (`us-gov-west-1`, `us-gov-east-1`).
    #[serde(rename = "aws-us-gov")]
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the seed document's permission-policy options `grantplan iam` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyStyle {
    /// The seed's restrictive inline policy, with this cluster's account, region, role,
    /// bucket and KMS key filled in.
    #[default]
    Restrictive,
    /// The seed's simple option: AWS managed policies (AmazonS3FullAccess,
    /// AmazonSageMakerFullAccess, and AmazonForecastFullAccess with `forecast: true`).
    Managed,
}

impl PolicyStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyStyle::Restrictive => "restrictive",
            PolicyStyle::Managed => "managed",
        }
    }
}

impl fmt::Display for PolicyStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The KMS key CREATE MODEL uses, as written and as the key ARN an IAM policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    /// As written in grants.yaml (a key id or a key ARN).
    pub written: String,
    /// `arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID`.
    pub arn: String,
}

/// A Redshift Serverless data warehouse: the namespace the role is associated with, and
/// the workgroup that serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serverless {
    pub workgroup: String,
    pub namespace: String,
}

/// The resolved `cluster:` section: everything needed to write the ML role's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// 12 digits.
    pub account_id: String,
    /// `us-east-1`, `cn-north-1`, ...
    pub region: String,
    /// Written, or derived from the region.
    pub partition: Partition,
    /// The IAM role Redshift and SageMaker assume (its name, not its ARN).
    pub role_name: String,
    /// The S3 bucket CREATE MODEL's `S3_BUCKET` names.
    pub bucket: String,
    pub kms_key: Option<KmsKey>,
    /// The cluster has enhanced VPC routing on: the role also needs the seed's ENI
    /// permissions.
    pub enhanced_vpc_routing: bool,
    /// Forecast models are used: `forecast.amazonaws.com` may assume the role.
    pub forecast: bool,
    pub policy: PolicyStyle,
    /// Keep the seed's `redshift-downloads` bucket (AWS's sample data) in the S3
    /// statements of the restrictive policy.
    pub redshift_downloads: bool,
    /// `workgroup` and `namespace`: Redshift Serverless; `None`: a provisioned cluster.
    pub serverless: Option<Serverless>,
    /// The `cluster` key.
    pub loc: Location,
}

impl Cluster {
    /// `arn:PARTITION:iam::ACCOUNT:role/ROLE` (the role is created without a path).
    pub fn role_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:role/{}",
            self.partition, self.account_id, self.role_name
        )
    }
}

/// What is wrong with a value, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub message: String,
    pub help: String,
}

fn problem(message: impl Into<String>, help: impl Into<String>) -> Problem {
    Problem {
        message: message.into(),
        help: help.into(),
    }
}

/// Checks an account id as written. `plain` is true when the YAML scalar was not quoted:
/// then YAML reads it as a number, and a leading zero is either dropped or (YAML 1.1,
/// `0o`) read as octal, so such an id must be quoted.
pub(crate) fn account_id(text: &str, plain: bool) -> Result<String, Problem> {
    let quote = |t: &str| format!("write it in quotes, all 12 digits: `account_id: \"{t}\"`");
    if plain
        && text.len() > 1
        && text.starts_with('0')
        && text[1..].chars().all(|c| c.is_ascii_digit())
    {
        return Err(problem(
            format!(
                "`account_id` {text} starts with 0 and is not in quotes: YAML readers take it \
                 as a number, dropping the leading zeros or reading it as octal"
            ),
            quote(text),
        ));
    }
    if text.is_empty() {
        return Err(problem(
            "`account_id` is empty",
            "write the 12-digit id of the AWS account that owns the cluster, in quotes: \
             `account_id: \"123456789012\"`",
        ));
    }
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    if text.contains('-')
        && digits.len() == 12
        && text.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return Err(problem(
            format!("`account_id` {text} is written with hyphens"),
            format!("write the 12 digits without hyphens, in quotes: `account_id: \"{digits}\"`"),
        ));
    }
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(problem(
            format!("`account_id` `{text}` is not an AWS account id: it must be 12 digits"),
            "write the 12-digit id of the AWS account that owns the cluster, in quotes: \
             `account_id: \"123456789012\"` (`aws sts get-caller-identity --query Account` \
             prints it)",
        ));
    }
    if text.len() != 12 {
        let zeros = if plain && text.len() < 12 {
            "; if it begins with 0, YAML dropped the zeros of the unquoted number: "
        } else {
            "; "
        };
        return Err(problem(
            format!(
                "`account_id` {text} has {} digits; an AWS account id has exactly 12",
                text.len()
            ),
            format!(
                "check the id{zeros}write all 12 digits in quotes: `account_id: \"123456789012\"`"
            ),
        ));
    }
    Ok(text.to_string())
}

/// The partitions of the AWS SDKs' partitions.json that grantplan does not build ARNs for,
/// by the start of their region names.
const OTHER_PARTITIONS: &[(&str, &str)] = &[
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-de-", "aws-eusc"),
];

/// First parts of the `aws` partition's region names (its `regionRegex`).
const AWS_PREFIXES: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"];

/// Checks a region name and returns the partition it belongs to.
pub(crate) fn region(region: &str) -> Result<Partition, Problem> {
    let example = "`us-east-1`, `eu-west-1`, `cn-north-1` or `us-gov-west-1`";
    if region.is_empty() {
        return Err(problem(
            "`region` is empty",
            format!("write the cluster's region code, e.g. {example}"),
        ));
    }
    if region.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(problem(
            format!("region `{region}` has upper-case letters"),
            format!(
                "region codes are lower case: `{}`",
                region.to_ascii_lowercase()
            ),
        ));
    }
    let parts: Vec<&str> = region.split('-').collect();
    let shaped = parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !shaped {
        return Err(problem(
            format!("`{region}` is not an AWS region code"),
            format!(
                "a region code is an area, a direction and a number joined by hyphens \
                 (the code, not the name: `us-east-1`, not `US East (N. Virginia)`), e.g. {example}"
            ),
        ));
    }
    if let Some((_, id)) = OTHER_PARTITIONS.iter().find(|(p, _)| region.starts_with(p)) {
        return Err(problem(
            format!("region `{region}` is in the `{id}` partition"),
            "grantplan builds ARNs for the aws, aws-cn and aws-us-gov partitions only",
        ));
    }
    let partition = match parts.as_slice() {
        ["cn", _, _] => Partition::AwsCn,
        ["us", "gov", _, _] => Partition::AwsUsGov,
        [first, _, _] if AWS_PREFIXES.contains(first) => Partition::Aws,
        _ => {
            return Err(problem(
                format!("`{region}` is not a region of the aws, aws-cn or aws-us-gov partition"),
                format!(
                    "region codes begin with {} (aws), `cn-` (aws-cn) or `us-gov-` \
                     (aws-us-gov), e.g. {example}",
                    AWS_PREFIXES
                        .iter()
                        .map(|p| format!("`{p}-`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    };
    Ok(partition)
}

/// Checks an IAM role name (`CreateRole`'s `RoleName`).
pub(crate) fn role_name(name: &str) -> Result<(), Problem> {
    let rule = "an IAM role name is 1 to 64 characters: ASCII letters, digits and `_+=,.@-`";
    if name.is_empty() {
        return Err(problem("`role_name` is empty", rule));
    }
    if name.starts_with("arn:") {
        return Err(problem(
            format!("`role_name` `{name}` is an ARN"),
            format!(
                "write the role's name alone (`{}`); grantplan builds the ARN from \
                 `account_id` and `partition`",
                name.rsplit('/').next().unwrap_or(name)
            ),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)))
    {
        let what = match bad {
            ' ' => "a space".to_string(),
            '/' => "`/` (a role path is not part of the name)".to_string(),
            c => format!("`{}`", c.escape_default()),
        };
        return Err(problem(
            format!("`role_name` `{name}` contains {what}"),
            format!("{rule}; for example `{}`", suggest_role_name(name)),
        ));
    }
    let n = name.chars().count();
    if n > 64 {
        return Err(problem(
            format!("`role_name` is {n} characters long"),
            format!("{rule}: shorten it"),
        ));
    }
    Ok(())
}

fn suggest_role_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "RedshiftML".to_string()
    } else {
        s.chars().take(64).collect()
    }
}

/// Checks a Redshift Serverless workgroup or namespace name (`key` is `workgroup` or
/// `namespace`): 3 to 64 characters of `[a-z0-9-]`.
pub(crate) fn serverless_name(key: &str, name: &str) -> Result<(), Problem> {
    let rule = format!(
        "a Redshift Serverless {key} name is 3 to 64 characters of lower-case letters, \
         digits and `-`"
    );
    if name.starts_with("arn:") {
        return Err(problem(
            format!("`{key}` `{name}` is an ARN"),
            format!(
                "write the {key}'s name alone (its ARN holds an id, not the name); \
                 `aws redshift-serverless list-{key}s` lists the names"
            ),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let what = match bad {
            c if c.is_ascii_uppercase() => "upper-case letters".to_string(),
            ' ' => "a space".to_string(),
            c => format!("`{}`", c.escape_default()),
        };
        let fixed: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == '_' || c == ' ' { '-' } else { c })
            .collect();
        let hint = if (3..=64).contains(&fixed.len())
            && fixed
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            format!(" (`{fixed}`?)")
        } else {
            String::new()
        };
        return Err(problem(
            format!("{key} name `{name}` contains {what}"),
            format!("{rule}; write the name of the {key} as it exists{hint}"),
        ));
    }
    let n = name.chars().count();
    if !(3..=64).contains(&n) {
        return Err(problem(
            format!("{key} name `{name}` is {n} characters long"),
            rule,
        ));
    }
    Ok(())
}

/// Reserved starts and ends of general purpose bucket names (Amazon S3, "General purpose
/// bucket naming rules"; `--table-s3` is reserved for table buckets, "Amazon S3 table
/// bucket naming rules").
const BUCKET_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
const BUCKET_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks a bucket name against the general purpose bucket naming rules.
pub(crate) fn bucket(name: &str) -> Result<(), Problem> {
    let rules = "bucket names are 3 to 63 characters of lower-case letters, digits, `.` and \
                 `-`, beginning and ending with a letter or digit";
    if let Some(rest) = name
        .strip_prefix("s3://")
        .or_else(|| name.strip_prefix("arn:"))
    {
        let bare = rest
            .trim_start_matches("aws:s3:::")
            .split('/')
            .next()
            .unwrap_or(rest);
        return Err(problem(
            format!("`bucket` `{name}` is a URL or ARN, not a bucket name"),
            format!("write the bucket's name alone: `bucket: {bare}`"),
        ));
    }
    if name.contains('/') {
        return Err(problem(
            format!("`bucket` `{name}` holds a path"),
            format!(
                "write the bucket's name alone (`{}`): the policy covers every object in it",
                name.split('/').next().unwrap_or(name)
            ),
        ));
    }
    let n = name.chars().count();
    if !(3..=63).contains(&n) {
        return Err(problem(
            format!("bucket name `{name}` is {n} characters long"),
            rules,
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        let what = match bad {
            c if c.is_ascii_uppercase() => "upper-case letters".to_string(),
            '_' => "`_`".to_string(),
            ' ' => "a space".to_string(),
            c => format!("`{}`", c.escape_default()),
        };
        let fixed: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == '_' { '-' } else { c })
            .collect();
        let hint = if fixed
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            format!(" (`{fixed}`?)")
        } else {
            String::new()
        };
        return Err(problem(
            format!("bucket name `{name}` contains {what}"),
            format!("{rules}; write the name of the bucket as it exists{hint}"),
        ));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Err(problem(
            format!("bucket name `{name}` must begin and end with a letter or digit"),
            rules,
        ));
    }
    if name.contains("..") {
        return Err(problem(
            format!("bucket name `{name}` has two adjacent periods"),
            rules,
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() == 4
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 3 && l.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(problem(
            format!("bucket name `{name}` is formatted as an IP address"),
            "S3 does not allow bucket names formatted as IP addresses: write the bucket's name",
        ));
    }
    if let Some(p) = BUCKET_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        return Err(problem(
            format!("bucket name `{name}` starts with the reserved prefix `{p}`"),
            "S3 reserves this prefix: no general purpose bucket can have this name",
        ));
    }
    if let Some(s) = BUCKET_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return Err(problem(
            format!("bucket name `{name}` ends with the reserved suffix `{s}`"),
            "S3 reserves this suffix for access point aliases, Multi-Region Access Points, \
             directory buckets and table buckets: write the name of a general purpose bucket",
        ));
    }
    Ok(())
}

/// True for `1234abcd-12ab-34cd-56ef-1234567890ab` or `mrk-` and 32 hex digits.
fn is_key_id(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(rest) = s.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n))
}

/// Resolves `kms_key_id` to the key ARN the policy's `Resource` needs. A key id is placed
/// in the cluster's partition, region and account (as the seed's
/// `arn:aws:kms:<your-region>:<your-account-id>:key/<your-kms-key>` does); a key ARN is
/// taken as it is (a key of another account is allowed) once its partition matches. The
/// second value is a warning, for a key ARN of another region.
pub(crate) fn kms_key(
    text: &str,
    partition: Partition,
    region: &str,
    account: &str,
) -> Result<(KmsKey, Option<Problem>), Problem> {
    let by_alias = "an IAM policy cannot name a KMS key by alias (AWS KMS, \"Specifying KMS \
                    keys in IAM policy statements\"): write the key id or the key ARN; \
                    `aws kms describe-key --key-id ALIAS --query KeyMetadata.Arn` prints the \
                    ARN of an alias's key";
    if text.starts_with("alias/") {
        return Err(problem(
            format!("`kms_key_id` `{text}` is an alias"),
            by_alias,
        ));
    }
    if is_key_id(text) {
        return Ok((
            KmsKey {
                written: text.to_string(),
                arn: format!("arn:{partition}:kms:{region}:{account}:key/{text}"),
            },
            None,
        ));
    }
    if let Some(rest) = text.strip_prefix("arn:") {
        let fields: Vec<&str> = rest.splitn(5, ':').collect();
        if let [p, "kms", r, a, resource] = fields.as_slice() {
            if resource.starts_with("alias/") {
                return Err(problem(
                    format!("`kms_key_id` `{text}` is an alias ARN"),
                    by_alias,
                ));
            }
            let key_ok = resource.strip_prefix("key/").is_some_and(is_key_id);
            let account_ok = a.len() == 12 && a.chars().all(|c| c.is_ascii_digit());
            if key_ok && account_ok && !r.is_empty() {
                if *p != partition.as_str() {
                    return Err(problem(
                        format!(
                            "`kms_key_id` is a key of the `{p}` partition, but the cluster is in \
                             `{partition}`"
                        ),
                        "a role can use keys of its own partition only: check the key ARN, \
                         `region` and `partition`",
                    ));
                }
                let warning = (*r != region).then(|| {
                    problem(
                        format!(
                            "`kms_key_id` is a key in region `{r}`, but the cluster is in \
                             `{region}`"
                        ),
                        "check that this is the key CREATE MODEL's KMS_KEY_ID names; a KMS \
                         key is used in its own region",
                    )
                });
                return Ok((
                    KmsKey {
                        written: text.to_string(),
                        arn: text.to_string(),
                    },
                    warning,
                ));
            }
        }
        return Err(problem(
            format!("`kms_key_id` `{text}` is not a KMS key ARN"),
            format!(
                "a key ARN reads `arn:{partition}:kms:{region}:{account}:key/KEY_ID`; or write \
                 the key id alone"
            ),
        ));
    }
    Err(problem(
        format!("`kms_key_id` `{text}` is not a KMS key id or key ARN"),
        "write the key id (`1234abcd-12ab-34cd-56ef-1234567890ab`, or `mrk-...` for a \
         multi-Region key) or the key ARN, as CREATE MODEL's KMS_KEY_ID names it",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits_and_leading_zeros_must_be_quoted() {
        assert_eq!(account_id("123456789012", true).unwrap(), "123456789012");
        assert_eq!(account_id("012345678901", false).unwrap(), "012345678901");
        let e = account_id("012345678901", true).unwrap_err();
        assert!(
            e.message.contains("starts with 0 and is not in quotes"),
            "{e:?}"
        );
        assert!(e.help.contains("\"012345678901\""), "{e:?}");
        // YAML 1.1 octal and hex spellings are not digits.
        let e = account_id("0o1234", true).unwrap_err();
        assert!(e.message.contains("must be 12 digits"), "{e:?}");
        let e = account_id("12345678901", true).unwrap_err();
        assert!(e.message.contains("has 11 digits"), "{e:?}");
        assert!(e.help.contains("dropped the zeros"), "{e:?}");
        let e = account_id("12345678901", false).unwrap_err();
        assert!(!e.help.contains("dropped"), "{e:?}");
        let e = account_id("1234-5678-9012", false).unwrap_err();
        assert!(e.help.contains("\"123456789012\""), "{e:?}");
        assert!(account_id("12345678901x", false).is_err());
        assert!(account_id("1234567890123", false).is_err());
        assert!(account_id("", false).is_err());
    }

    #[test]
    fn regions_give_their_partition() {
        for (r, p) in [
            ("us-east-1", Partition::Aws),
            ("eu-central-2", Partition::Aws),
            ("ap-southeast-4", Partition::Aws),
            ("il-central-1", Partition::Aws),
            ("mx-central-1", Partition::Aws),
            ("cn-north-1", Partition::AwsCn),
            ("cn-northwest-1", Partition::AwsCn),
            ("us-gov-west-1", Partition::AwsUsGov),
            ("us-gov-east-1", Partition::AwsUsGov),
        ] {
            assert_eq!(region(r).unwrap(), p, "{r}");
        }
        for bad in [
            "",
            "us-east1",
            "useast-1",
            "US-EAST-1",
            "us-east-",
            "us--east-1",
            "us-east-1a",
            "us east 1",
            "zz-east-1",
        ] {
            assert!(region(bad).is_err(), "{bad}");
        }
        let e = region("us-isob-east-1").unwrap_err();
        assert!(e.message.contains("aws-iso-b"), "{e:?}");
        assert!(region("eusc-de-east-1").is_err());
        assert!(region("US-EAST-1")
            .unwrap_err()
            .help
            .contains("`us-east-1`"));
    }

    #[test]
    fn role_names_follow_iam() {
        for ok in ["RedshiftML", "a", "ml_role+=,.@-x", &"r".repeat(64)] {
            assert!(role_name(ok).is_ok(), "{ok}");
        }
        let e = role_name("Redshift ML").unwrap_err();
        assert!(e.message.contains("a space"), "{e:?}");
        assert!(e.help.contains("`Redshift-ML`"), "{e:?}");
        assert!(role_name(&"r".repeat(65)).is_err());
        assert!(role_name("").is_err());
        assert!(role_name("service-role/ml")
            .unwrap_err()
            .message
            .contains("path"));
        let e = role_name("arn:aws:iam::123456789012:role/ml").unwrap_err();
        assert!(e.help.contains("`ml`"), "{e:?}");
        assert!(role_name("rôle").is_err());
    }

    #[test]
    fn serverless_names_are_three_to_sixty_four_lower_case_letters_digits_and_hyphens() {
        for ok in [
            "abc",
            "default-workgroup",
            "ns-1",
            "123",
            "---",
            &"a".repeat(64),
        ] {
            assert!(serverless_name("namespace", ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("ab", "2 characters"),
            ("", "0 characters"),
            (&"a".repeat(65), "65 characters"),
            ("My-Namespace", "upper-case letters"),
            ("my_namespace", "`_`"),
            ("my namespace", "a space"),
            ("ns.1", "`.`"),
            (
                "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/x",
                "an ARN",
            ),
        ] {
            let e = serverless_name("namespace", bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e:?}");
        }
        let e = serverless_name("workgroup", "My_Workgroup").unwrap_err();
        assert!(e.message.starts_with("workgroup name"), "{e:?}");
        assert!(e.help.contains("(`my-workgroup`?)"), "{e:?}");
        assert!(e.help.contains("3 to 64 characters"), "{e:?}");
    }

    #[test]
    fn bucket_names_follow_the_general_purpose_rules() {
        for ok in [
            "my-ml-bucket",
            "abc",
            "a.b-c1",
            &"a".repeat(63),
            "docexamplebucket1",
        ] {
            assert!(bucket(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("My_Bucket", "upper-case"),
            ("my_bucket", "`_`"),
            ("ab", "2 characters"),
            (&"a".repeat(64), "64 characters"),
            ("-bucket", "begin and end"),
            ("bucket-", "begin and end"),
            ("bucket.", "begin and end"),
            ("my..bucket", "adjacent periods"),
            ("192.168.1.1", "IP address"),
            ("xn--bucket", "`xn--`"),
            ("sthree-bucket", "`sthree-`"),
            ("amzn-s3-demo-bucket", "`amzn-s3-demo-`"),
            ("bucket-s3alias", "`-s3alias`"),
            ("bucket--ol-s3", "`--ol-s3`"),
            ("bucket.mrap", "`.mrap`"),
            ("bucket--usw2-az1--x-s3", "`--x-s3`"),
            ("bucket--table-s3", "`--table-s3`"),
            ("s3://bucket/prefix", "URL or ARN"),
            ("arn:aws:s3:::bucket", "URL or ARN"),
            ("bucket/prefix", "path"),
        ] {
            let e = bucket(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e:?}");
        }
        assert!(bucket("My_Bucket")
            .unwrap_err()
            .help
            .contains("`my-bucket`"));
        assert!(bucket("s3://bucket/prefix")
            .unwrap_err()
            .help
            .contains("`bucket: bucket`"));
        // Four labels of digits is an IP address; other dotted digits are not.
        assert!(bucket("1.2.3").is_ok());
        assert!(bucket("1.2.3.4.5").is_ok());
    }

    #[test]
    fn kms_key_ids_become_key_arns_and_aliases_are_refused() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let (k, w) = kms_key(id, Partition::Aws, "us-east-1", "123456789012").unwrap();
        assert_eq!(
            k.arn,
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert!(w.is_none());
        let mrk = "mrk-1234abcd12ab34cd56ef1234567890ab";
        let (k, _) = kms_key(mrk, Partition::AwsCn, "cn-north-1", "123456789012").unwrap();
        assert_eq!(
            k.arn,
            format!("arn:aws-cn:kms:cn-north-1:123456789012:key/{mrk}")
        );

        // A key ARN is kept, also of another account; another region warns.
        let arn = format!("arn:aws:kms:us-east-1:210987654321:key/{id}");
        let (k, w) = kms_key(&arn, Partition::Aws, "us-east-1", "123456789012").unwrap();
        assert_eq!(k.arn, arn);
        assert!(w.is_none());
        let arn = format!("arn:aws:kms:eu-west-1:123456789012:key/{id}");
        let (_, w) = kms_key(&arn, Partition::Aws, "us-east-1", "123456789012").unwrap();
        assert!(w.unwrap().message.contains("`eu-west-1`"));

        let e = kms_key("alias/ml", Partition::Aws, "us-east-1", "123456789012").unwrap_err();
        assert!(e.help.contains("describe-key"), "{e:?}");
        let alias_arn = "arn:aws:kms:us-east-1:123456789012:alias/ml";
        assert!(
            kms_key(alias_arn, Partition::Aws, "us-east-1", "123456789012")
                .unwrap_err()
                .message
                .contains("alias ARN")
        );
        let other = format!("arn:aws-cn:kms:cn-north-1:123456789012:key/{id}");
        assert!(kms_key(&other, Partition::Aws, "us-east-1", "123456789012")
            .unwrap_err()
            .message
            .contains("`aws-cn` partition"));
        for bad in [
            "1234",
            "arn:aws:kms:us-east-1:123:key/x",
            "arn:aws:s3:::b",
            "my-key",
        ] {
            assert!(
                kms_key(bad, Partition::Aws, "us-east-1", "123456789012").is_err(),
                "{bad}"
            );
        }
    }
}
