//! `grantplan iam`: golden documents for every variant in tests/data/iam/ (a grants.yaml
//! per folder; the printed documents are snapshotted with insta), and, so that a snapshot
//! accepted carelessly cannot hide a wrong policy, every document parsed as JSON and
//! checked:
//!
//! - against the seed document itself: its trust policies (English edition without
//!   Forecast, Korean edition with it), its restrictive policy and its enhanced-VPC-routing
//!   statement are kept here verbatim, their placeholders filled in the way `src/iam.rs`
//!   documents, and compared as JSON values with what grantplan writes;
//! - statement by statement, for the principals, actions and resources the issue asks for.
//!
//! Then the binary: printing, `--out DIR`, the missing-section error, and commands.sh run
//! against a stand-in `aws` that records its arguments. Nothing here talks to AWS.

mod common;

use grantplan::config::{Cluster, Partition, PolicyStyle};
use grantplan::iam;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------
// The seed document's JSON, verbatim (redshift-ml-admin-setup.en.txt and .ko.txt).

/// The restrictive policy of the English edition, with its comment line.
const SEED_RESTRICTIVE: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudwatch:PutMetricData",
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "sagemaker:*Job*"
            ],
            "Resource": "*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:PassRole",
                "s3:AbortMultipartUpload",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:PutObject"
            ],
            "Resource": [
                "arn:aws:iam::<your-account-id>:role/<your-role>",
                "arn:aws:s3:::<your-s3-bucket>/*",
                "arn:aws:s3:::redshift-downloads/*"
            ]
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketLocation",
                "s3:ListBucket"
            ],
            "Resource": [
                "arn:aws:s3:::<your-s3-bucket>",
                "arn:aws:s3:::redshift-downloads"
            ]
        }
        // Optional section needed if you use AWS KMS keys.
        ,{
            "Effect": "Allow",
            "Action": [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*"
             ],
             "Resource": [
                "arn:aws:kms:<your-region>:<your-account-id>:key/<your-kms-key>"
             ]
        }
    ]
}"#;

/// The trust policy of the English edition.
const SEED_TRUST_EN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": [
          "redshift.amazonaws.com",
          "sagemaker.amazonaws.com"
        ]
      },
      "Action": "sts:AssumeRole"
    }
  ]
}"#;

/// The trust policy of the Korean edition (newer; adds Forecast).
const SEED_TRUST_KO: &str = r#"{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": [ "redshift.amazonaws.com", "sagemaker.amazonaws.com", "forecast.amazonaws.com" ] }, "Action": "sts:AssumeRole" } ] }"#;

/// The permissions the seed adds for enhanced VPC routing.
const SEED_ENI: &str = r#"{
    "Effect": "Allow",
    "Action": [
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
        "ec2:ModifyNetworkInterfaceAttribute"
    ],
    "Resource": "*"
}"#;

/// The seed's restrictive policy with the changes src/iam.rs documents: placeholders
/// filled in, the comment dropped, the KMS statement only with a key (on its ARN), the
/// partition in every ARN, `redshift-downloads` only when kept.
fn seed_restrictive(c: &Cluster) -> Value {
    let key_id = c
        .kms_key
        .as_ref()
        .map(|k| k.arn.rsplit('/').next().unwrap().to_string())
        .unwrap_or_default();
    let text: String = SEED_RESTRICTIVE
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("<your-account-id>", &c.account_id)
        .replace("<your-role>", &c.role_name)
        .replace("<your-s3-bucket>", &c.bucket)
        .replace("<your-region>", &c.region)
        .replace("<your-kms-key>", &key_id)
        .replace("\"arn:aws:", &format!("\"arn:{}:", c.partition));
    let mut v: Value = serde_json::from_str(&text).expect("the seed's policy, comment removed");
    let statements = v["Statement"].as_array_mut().unwrap();
    match &c.kms_key {
        None => {
            statements.pop();
        }
        // A key written as an ARN is used as it is (its region or account may differ).
        Some(k) => statements[3]["Resource"] = json!([k.arn]),
    }
    if !c.redshift_downloads {
        for s in statements.iter_mut() {
            if let Some(list) = s["Resource"].as_array_mut() {
                list.retain(|r| !r.as_str().unwrap().contains("redshift-downloads"));
            }
        }
    }
    v
}

// ---------------------------------------------------------------------------------------
// The golden cases.

struct Case {
    name: String,
    cluster: Cluster,
    files: Vec<iam::File>,
    warnings: Vec<String>,
}

fn cases() -> Vec<Case> {
    let dir = root().join("tests/data/iam");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 7, "{dirs:?}");
    dirs.into_iter()
        .map(|d| {
            let name = d.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(d.join("grants.yaml")).unwrap();
            let config = grantplan::config::parse("grants.yaml", &text)
                .unwrap_or_else(|e| panic!("{name}: {e:#?}"));
            let cluster = config.cluster.clone().expect("a cluster section");
            Case {
                name,
                files: iam::files(&cluster),
                cluster,
                warnings: config.warnings.iter().map(|w| w.to_string()).collect(),
            }
        })
        .collect()
}

fn file<'a>(case: &'a Case, name: &str) -> Option<&'a str> {
    case.files
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.contents.as_str())
}

fn json_file(case: &Case, name: &str) -> Option<Value> {
    file(case, name).map(|t| {
        serde_json::from_str(t).unwrap_or_else(|e| panic!("{}: {name} is not JSON: {e}", case.name))
    })
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
        other => panic!("not a string or list: {other}"),
    }
}

/// The statement whose actions include `action`.
fn statement_with<'a>(doc: &'a Value, action: &str) -> &'a Value {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| strings(&s["Action"]).contains(&action))
        .unwrap_or_else(|| panic!("no statement allows {action}: {doc:#}"))
}

#[test]
fn golden_documents_per_variant() {
    for case in cases() {
        let mut out = iam::render(&case.files);
        for w in &case.warnings {
            out.push_str(&format!("# warning: {w}\n"));
        }
        insta::assert_snapshot!(format!("iam_{}", case.name), out);
    }
}

#[test]
fn every_json_document_is_valid_and_pretty_with_a_trailing_newline() {
    for case in cases() {
        for f in case.files.iter().filter(|f| f.name.ends_with(".json")) {
            let v: Value = serde_json::from_str(&f.contents)
                .unwrap_or_else(|e| panic!("{} {}: {e}", case.name, f.name));
            assert_eq!(v["Version"], "2012-10-17", "{} {}", case.name, f.name);
            let again = serde_json::to_string_pretty(&v).unwrap() + "\n";
            // serde_json's Value sorts keys; compare shapes, not text.
            assert_eq!(
                serde_json::from_str::<Value>(&again).unwrap(),
                v,
                "{} {}",
                case.name,
                f.name
            );
            assert!(f.contents.ends_with("}\n"), "{} {}", case.name, f.name);
            assert!(f.contents.starts_with("{\n  \"Version\""), "{}", f.name);
        }
    }
}

#[test]
fn the_trust_policy_is_the_seeds_with_forecast_only_when_used() {
    for case in cases() {
        let trust = json_file(&case, iam::TRUST_POLICY).unwrap();
        let seed = if case.cluster.forecast {
            SEED_TRUST_KO
        } else {
            SEED_TRUST_EN
        };
        let mut want = serde_json::from_str::<Value>(seed).unwrap();
        // Serverless: the Management Guide's `redshift-serverless.amazonaws.com` after
        // `redshift.amazonaws.com` (src/iam.rs, docs/research/serverless.md).
        if case.cluster.serverless.is_some() {
            want["Statement"][0]["Principal"]["Service"]
                .as_array_mut()
                .unwrap()
                .insert(1, json!("redshift-serverless.amazonaws.com"));
        }
        assert_eq!(trust, want, "{}", case.name);
        let s = &trust["Statement"][0];
        assert_eq!(s["Effect"], "Allow");
        assert_eq!(s["Action"], "sts:AssumeRole");
        let services = strings(&s["Principal"]["Service"]);
        assert!(services.contains(&"redshift.amazonaws.com"));
        assert!(services.contains(&"sagemaker.amazonaws.com"));
        assert_eq!(
            services.contains(&"redshift-serverless.amazonaws.com"),
            case.cluster.serverless.is_some(),
            "{}",
            case.name
        );
        assert_eq!(
            services.contains(&"forecast.amazonaws.com"),
            case.cluster.forecast,
            "{}",
            case.name
        );
    }
}

#[test]
fn the_restrictive_policy_is_the_seeds_filled_in() {
    let mut checked = 0;
    for case in cases() {
        let policy = json_file(&case, iam::PERMISSION_POLICY);
        let Some(policy) = policy else {
            assert_eq!(case.cluster.policy, PolicyStyle::Managed, "{}", case.name);
            continue;
        };
        assert_eq!(case.cluster.policy, PolicyStyle::Restrictive);
        assert_eq!(policy, seed_restrictive(&case.cluster), "{}", case.name);
        checked += 1;

        let c = &case.cluster;
        let p = c.partition.as_str();
        // CloudWatch metrics, ECR pulls, CloudWatch Logs and SageMaker jobs, on `*`.
        let first = statement_with(&policy, "sagemaker:*Job*");
        for action in [
            "cloudwatch:PutMetricData",
            "ecr:BatchGetImage",
            "ecr:GetAuthorizationToken",
            "logs:PutLogEvents",
        ] {
            assert!(strings(&first["Action"]).contains(&action), "{action}");
        }
        assert_eq!(first["Resource"], "*");
        // PassRole on the role itself; object actions on the bucket (and the sample one).
        let objects = statement_with(&policy, "iam:PassRole");
        for action in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
            assert!(strings(&objects["Action"]).contains(&action), "{action}");
        }
        let mut want = vec![
            format!("arn:{p}:iam::{}:role/{}", c.account_id, c.role_name),
            format!("arn:{p}:s3:::{}/*", c.bucket),
        ];
        if c.redshift_downloads {
            want.push(format!("arn:{p}:s3:::redshift-downloads/*"));
        }
        assert_eq!(strings(&objects["Resource"]), want, "{}", case.name);
        // Bucket listing.
        let listing = statement_with(&policy, "s3:ListBucket");
        assert!(strings(&listing["Action"]).contains(&"s3:GetBucketLocation"));
        assert!(
            strings(&listing["Resource"]).contains(&format!("arn:{p}:s3:::{}", c.bucket).as_str())
        );
        // KMS only with a key, on its ARN.
        let kms = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| strings(&s["Action"]).contains(&"kms:Decrypt"));
        match (&c.kms_key, kms) {
            (None, None) => {}
            (Some(k), Some(s)) => {
                assert_eq!(strings(&s["Resource"]), [k.arn.as_str()]);
                assert!(k.arn.starts_with(&format!("arn:{p}:kms:")), "{}", k.arn);
            }
            (k, s) => panic!("{}: key {k:?}, KMS statement {s:?}", case.name),
        }
        // Every ARN is the partition's.
        for s in policy["Statement"].as_array().unwrap() {
            for r in strings(&s["Resource"]) {
                assert!(
                    r == "*" || r.starts_with(&format!("arn:{p}:")),
                    "{}: {r}",
                    case.name
                );
            }
        }
    }
    assert!(checked >= 4, "{checked}");
}

#[test]
fn managed_policies_and_the_vpc_statement_follow_the_options() {
    for case in cases() {
        let c = &case.cluster;
        let p = c.partition;
        let mut want = Vec::new();
        if c.policy == PolicyStyle::Managed {
            want.push(format!("arn:{p}:iam::aws:policy/AmazonS3FullAccess"));
            want.push(format!("arn:{p}:iam::aws:policy/AmazonSageMakerFullAccess"));
        }
        if c.forecast {
            want.push(format!("arn:{p}:iam::aws:policy/AmazonForecastFullAccess"));
        }
        let listed: Vec<String> = file(&case, iam::MANAGED_POLICIES)
            .map(|t| t.lines().map(String::from).collect())
            .unwrap_or_default();
        assert_eq!(listed, want, "{}", case.name);

        let vpc = json_file(&case, iam::VPC_ROUTING_POLICY);
        assert_eq!(vpc.is_some(), c.enhanced_vpc_routing, "{}", case.name);
        if let Some(vpc) = vpc {
            let eni: Value = serde_json::from_str(SEED_ENI).unwrap();
            assert_eq!(vpc, json!({"Version": "2012-10-17", "Statement": [eni]}));
            let s = statement_with(&vpc, "ec2:CreateNetworkInterface");
            assert_eq!(s["Resource"], "*");
        }

        // Managed policies have no place for the key: it gets the seed's KMS statement.
        let kms = json_file(&case, iam::KMS_POLICY);
        match (c.policy, &c.kms_key) {
            (PolicyStyle::Managed, Some(k)) => {
                let kms = kms.expect("kms-policy.json");
                let seed = seed_restrictive(c);
                assert_eq!(kms["Statement"][0], seed["Statement"][3], "{}", case.name);
                assert_eq!(strings(&kms["Statement"][0]["Resource"]), [k.arn.as_str()]);
            }
            _ => assert!(kms.is_none(), "{}", case.name),
        }
    }
}

#[test]
fn the_cases_cover_the_variants_the_issue_names() {
    let cases = cases();
    let has = |f: &dyn Fn(&Cluster) -> bool| cases.iter().any(|c| f(&c.cluster));
    assert!(has(
        &|c| c.policy == PolicyStyle::Restrictive && c.kms_key.is_none()
    ));
    assert!(has(
        &|c| c.policy == PolicyStyle::Restrictive && c.kms_key.is_some()
    ));
    assert!(has(
        &|c| c.policy == PolicyStyle::Managed && c.enhanced_vpc_routing
    ));
    assert!(has(&|c| c.policy == PolicyStyle::Restrictive && c.forecast));
    assert!(has(&|c| c.policy == PolicyStyle::Managed && c.forecast));
    assert!(has(&|c| c.partition == Partition::AwsCn));
    assert!(has(&|c| c.partition == Partition::AwsUsGov));
    assert!(has(&|c| c.serverless.is_some()));
}

#[test]
fn commands_create_the_role_attach_every_policy_and_name_the_placeholder() {
    for case in cases() {
        let c = &case.cluster;
        let sh = file(&case, iam::COMMANDS).unwrap();
        assert!(sh.starts_with("#!/bin/sh\n"), "{}", case.name);
        let prose = sh.replace("\n# ", " ");
        assert!(
            prose.contains("grantplan itself calls no AWS API"),
            "{}",
            case.name
        );
        assert!(sh.contains(&format!(
            "aws iam create-role --region {} --role-name {} \\\n    --assume-role-policy-document file://trust-policy.json",
            c.region, c.role_name
        )));
        for (f, policy_name) in [
            (iam::PERMISSION_POLICY, iam::PERMISSION_POLICY_NAME),
            (iam::KMS_POLICY, iam::KMS_POLICY_NAME),
            (iam::VPC_ROUTING_POLICY, iam::VPC_ROUTING_POLICY_NAME),
        ] {
            let put = format!("--policy-name {policy_name} --policy-document file://{f}");
            assert_eq!(
                sh.contains(&put),
                file(&case, f).is_some(),
                "{}: {f}",
                case.name
            );
        }
        for arn in iam::managed_policy_arns(c) {
            assert!(
                sh.contains(&format!("--policy-arn {arn}")),
                "{}: {arn}",
                case.name
            );
        }
        if let Some(sv) = &c.serverless {
            // The namespace, not a cluster: no placeholder, and the warning that the list
            // of roles is replaced.
            let arn = c.role_arn();
            assert!(
                sh.ends_with(&format!(
                    "aws redshift-serverless update-namespace --namespace-name {} \\\n    \
                     --iam-roles {arn} \\\n    --default-iam-role-arn {arn} \\\n    \
                     --region {}\n",
                    sv.namespace, c.region
                )),
                "{}",
                case.name
            );
            assert!(!sh.contains("CLUSTER_ID"), "{}", case.name);
            assert!(!sh.contains("modify-cluster-iam-roles"), "{}", case.name);
            assert!(
                prose.contains("--iam-roles REPLACES the namespace's list of IAM roles"),
                "{}",
                case.name
            );
            assert!(
                prose.contains("Add the ARNs of the namespace's other roles to the list"),
                "{}",
                case.name
            );
            continue;
        }
        assert!(sh.contains(&format!(
            "--cluster-identifier \"$CLUSTER_ID\" \\\n    --add-iam-roles {}",
            c.role_arn()
        )));
        assert!(prose.contains("CLUSTER_ID is a placeholder"));
        assert!(sh.contains(&format!(
            "# aws redshift modify-cluster-iam-roles --region {}",
            c.region
        )));
        assert!(!sh.contains("redshift-serverless"), "{}", case.name);
    }
}

// ---------------------------------------------------------------------------------------
// The binary.

fn grantplan() -> assert_cmd::Command {
    let mut cmd = common::grantplan();
    cmd.current_dir(root());
    cmd
}

const CASE_01: &str = "tests/data/iam/01_restrictive/grants.yaml";

#[test]
fn iam_prints_every_document_headed_by_its_file_name() {
    let out = grantplan().args(["iam", "-f", CASE_01]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let text = std::fs::read_to_string(root().join(CASE_01)).unwrap();
    let config = grantplan::config::parse(CASE_01, &text).unwrap();
    let files = iam::files(config.cluster.as_ref().unwrap());
    // The policies, then the ASSUMEROLE grants the file asks for: none here.
    assert_eq!(
        stdout,
        format!(
            "{}\n# --- ASSUMEROLE grants in grants.yaml (`grantplan apply` runs them, after its \
             transaction; commands.sh does not) ---\n-- none: grants.yaml has no assume_role: \
             section, so who may use the role is not managed (until `REVOKE ASSUMEROLE ON ALL \
             FROM PUBLIC FOR ALL`, every user may)\n",
            iam::render(&files)
        )
    );
    for f in &files {
        assert!(
            stdout.contains(&format!("# --- {} ---\n", f.name)),
            "{}",
            f.name
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("grantplan calls no AWS API"), "{stderr}");
}

#[test]
fn iam_out_writes_the_files_and_warns_about_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("iam");
    let out = grantplan()
        .args([
            "iam",
            "-f",
            "tests/data/iam/03_managed_vpc/grants.yaml",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Only the ASSUMEROLE section goes to stdout; the documents go to files.
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(stdout.starts_with("\n# --- ASSUMEROLE grants"), "{stdout}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "commands.sh",
            "managed-policies.txt",
            "trust-policy.json",
            "vpc-routing-policy.json"
        ]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrote "), "{stderr}");
    assert!(stderr.contains("grantplan calls no AWS API"), "{stderr}");
    let trust: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("trust-policy.json")).unwrap())
            .unwrap();
    assert_eq!(trust, serde_json::from_str::<Value>(SEED_TRUST_EN).unwrap());

    // Again, for the restrictive variant, into the same folder: without --force the
    // existing files are refused and nothing is written; with it they are replaced, and
    // the managed variant's leftovers are pointed out (never deleted).
    let before = std::fs::read_to_string(out_dir.join("trust-policy.json")).unwrap();
    let out = grantplan()
        .args(["iam", "-f", CASE_01, "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("trust-policy.json already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!out_dir.join("permission-policy.json").exists());
    assert_eq!(
        std::fs::read_to_string(out_dir.join("trust-policy.json")).unwrap(),
        before
    );
    let out = grantplan()
        .args(["iam", "-f", CASE_01, "--force", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for stale in ["managed-policies.txt", "vpc-routing-policy.json"] {
        assert!(
            stderr.contains(&format!("{stale} is left from an earlier run")),
            "{stderr}"
        );
        assert!(out_dir.join(stale).exists());
    }
    assert!(out_dir.join("permission-policy.json").exists());
    let text = std::fs::read_to_string(root().join(CASE_01)).unwrap();
    let config = grantplan::config::parse(CASE_01, &text).unwrap();
    for f in iam::files(config.cluster.as_ref().unwrap()) {
        assert_eq!(
            std::fs::read_to_string(out_dir.join(f.name)).unwrap(),
            f.contents,
            "{}",
            f.name
        );
    }
}

#[test]
fn iam_without_a_cluster_section_says_how_to_add_one() {
    let out = grantplan().arg("iam").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    insta::assert_snapshot!("iam_without_cluster", stderr);
    assert!(stderr.contains("grants.yaml:1:1"), "{stderr}");
    assert!(stderr.contains("account_id: \"123456789012\""), "{stderr}");
}

#[test]
fn iam_with_an_invalid_cluster_exits_1_with_the_location() {
    let out = grantplan()
        .args([
            "iam",
            "-f",
            "tests/data/invalid/cluster_bucket_uppercase.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tests/data/invalid/cluster_bucket_uppercase.yaml:7:11"),
        "{stderr}"
    );
}

/// A stand-in `aws` that appends its arguments, one call per line, to `$AWS_LOG`.
fn fake_aws(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let aws = bin.join("aws");
    std::fs::write(&aws, "#!/bin/sh\necho \"$*\" >> \"$AWS_LOG\"\n").unwrap();
    std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn run_commands(dir: &Path, bin: &Path, cluster_id: Option<&str>) -> (bool, String) {
    let log = dir.join("aws.log");
    let _ = std::fs::remove_file(&log);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("commands.sh")
        .current_dir(dir.join("iam"))
        .env("PATH", path)
        .env("AWS_LOG", &log)
        .env_remove("CLUSTER_ID");
    if let Some(id) = cluster_id {
        cmd.env("CLUSTER_ID", id);
    }
    let status = cmd.output().unwrap().status.success();
    (status, std::fs::read_to_string(&log).unwrap_or_default())
}

#[test]
fn commands_sh_runs_the_aws_cli_in_order_and_needs_the_cluster_id() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_aws(dir.path());
    let out = grantplan()
        .args([
            "iam",
            "-f",
            "tests/data/iam/05_forecast_managed_kms/grants.yaml",
            "--out",
        ])
        .arg(dir.path().join("iam"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let syntax = std::process::Command::new("sh")
        .args(["-n", "commands.sh"])
        .current_dir(dir.path().join("iam"))
        .status()
        .unwrap();
    assert!(syntax.success());

    // Without CLUSTER_ID nothing runs.
    let (ok, log) = run_commands(dir.path(), &bin, None);
    assert!(!ok);
    assert_eq!(log, "");

    let (ok, log) = run_commands(dir.path(), &bin, Some("my-cluster"));
    assert!(ok);
    let p = "arn:aws:iam::aws:policy";
    let attach = "iam attach-role-policy --region us-east-2 --role-name RedshiftML --policy-arn";
    assert_eq!(
        log,
        format!(
            "iam create-role --region us-east-2 --role-name RedshiftML --assume-role-policy-document file://trust-policy.json
{attach} {p}/AmazonS3FullAccess
{attach} {p}/AmazonSageMakerFullAccess
{attach} {p}/AmazonForecastFullAccess
iam put-role-policy --region us-east-2 --role-name RedshiftML --policy-name redshift-ml-kms --policy-document file://kms-policy.json
redshift modify-cluster-iam-roles --region us-east-2 --cluster-identifier my-cluster --add-iam-roles arn:aws:iam::123456789012:role/RedshiftML
"
        )
    );
}

#[test]
fn serverless_commands_sh_updates_the_namespace_without_a_cluster_id() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_aws(dir.path());
    let out = grantplan()
        .args([
            "iam",
            "-f",
            "tests/data/iam/08_serverless/grants.yaml",
            "--out",
        ])
        .arg(dir.path().join("iam"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("then run `sh commands.sh` in"), "{stderr}");
    assert!(!stderr.contains("CLUSTER_ID"), "{stderr}");

    let syntax = std::process::Command::new("sh")
        .args(["-n", "commands.sh"])
        .current_dir(dir.path().join("iam"))
        .status()
        .unwrap();
    assert!(syntax.success());

    // No CLUSTER_ID is asked for: the namespace is in grants.yaml.
    let (ok, log) = run_commands(dir.path(), &bin, None);
    assert!(ok);
    let arn = "arn:aws:iam::123456789012:role/RedshiftML";
    assert_eq!(
        log,
        format!(
            "iam create-role --region us-west-2 --role-name RedshiftML --assume-role-policy-document file://trust-policy.json
iam put-role-policy --region us-west-2 --role-name RedshiftML --policy-name redshift-ml --policy-document file://permission-policy.json
redshift-serverless update-namespace --namespace-name ml-namespace --iam-roles {arn} --default-iam-role-arn {arn} --region us-west-2
"
        )
    );
}

/// The README's `cluster:` examples load, and its Cluster setup section names every file
/// `grantplan iam` may write.
#[test]
fn the_readme_cluster_examples_load_and_name_every_file() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Cluster setup")
        .expect("a Cluster setup section")..];
    let example = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let config = grantplan::config::parse("README.md", &format!("groups: {{g: {{}}}}\n{example}"))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let cluster = config.cluster.unwrap();
    assert_eq!(
        cluster.role_arn(),
        "arn:aws:iam::123456789012:role/RedshiftML"
    );
    for name in iam::ALL_FILES {
        assert!(section.contains(&format!("`{name}`")), "{name}");
    }
    // The Serverless example loads as Serverless.
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let serverless = section
        .split("```yaml\n")
        .map(|s| s.split("```").next().unwrap())
        .find(|s| s.contains("workgroup:"))
        .expect("a Serverless example");
    let config =
        grantplan::config::parse("README.md", &format!("groups: {{g: {{}}}}\n{serverless}"))
            .unwrap_or_else(|e| panic!("{e:#?}"));
    let sv = config
        .cluster
        .unwrap()
        .serverless
        .expect("workgroup and namespace");
    assert!(section.contains(
        "update-namespace --namespace-name\n  NAMESPACE --iam-roles ROLE_ARN --default-iam-role-arn ROLE_ARN"
    ));
    assert_eq!(
        (sv.workgroup.as_str(), sv.namespace.as_str()),
        ("ml-workgroup", "ml-namespace")
    );
    let reference = &readme[readme.find("## Configuration reference").unwrap()..];
    let example = reference
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let config =
        grantplan::config::parse("README.md", example).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(config.cluster.is_some());
}

/// `iam` shows, next to the role's documents, who grants.yaml lets use the role: the
/// ASSUMEROLE statements `apply` runs, the `cluster:` role named by its name.
#[test]
fn iam_shows_the_assumerole_grants_the_file_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(
        &file,
        "groups:\n  retention_analyst_grp: {create_model: true}\nassume_role:\n  RedshiftML:\n    \
         create_model: [retention_analyst_grp]\ncluster:\n  account_id: \"123456789012\"\n  \
         region: us-east-1\n  role_name: RedshiftML\n  bucket: my-ml-bucket\n",
    )
    .unwrap();
    let out = grantplan().args(["iam", "-f"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.ends_with(
            "commands.sh does not) ---\nGRANT ASSUMEROLE ON \
             'arn:aws:iam::123456789012:role/RedshiftML' TO GROUP retention_analyst_grp FOR \
             CREATE MODEL;\n"
        ),
        "{stdout}"
    );
}
