//! The `default_privileges:` section end to end (ALTER DEFAULT PRIVILEGES): on a real
//! PostgreSQL (tests/common) the plan, its apply (directly and through a reviewed plan
//! file), convergence, `pg_default_acl` as the server keeps it and, as the real proof,
//! the privileges objects created afterwards get; authoritative revokes and additive
//! warnings; a per-schema rule that could never be met; hostile names; drift after
//! review. On Redshift, the planner against the recreated catalog
//! (tests/data/redshift/catalog.sql, `svv_default_privileges` rows as in §12.5 of
//! docs/research/redshift-catalog.md). And the file's own errors, before any connection.

mod common;

use common::{
    apply_through_plan_file, plan_lines as statements, run_redshift as redshift_run,
    run_with as run, write,
};

use common::exec;

use common::Run;
use std::collections::BTreeSet;
use std::path::Path;
use tokio_postgres::Client;

/// `plan --detailed-exitcode` says there is nothing to do.
fn assert_converged(file: &Path, url: &str) {
    let out = run(&["plan", "--detailed-exitcode"], file, url);
    assert_eq!(out.code, 0, "converged: {}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out),
        ["-- no changes: the server already matches the file"],
        "{}",
        out.stdout
    );
}

type AclRow = (String, String, String, String, String);

/// Every entry of `pg_default_acl` in this database as `(role, schema or "", type
/// letter, grantee or "public", privilege)`.
async fn default_acl(c: &Client) -> BTreeSet<AclRow> {
    c.query(
        "SELECT pg_get_userbyid(d.defaclrole)::text, coalesce(n.nspname::text, ''),
                d.defaclobjtype::text, coalesce(r.rolname::text, 'public'),
                a.privilege_type::text
           FROM pg_default_acl d
           LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace,
                aclexplode(d.defaclacl) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

fn rows(rows: &[(&str, &str, &str, &str, &str)]) -> BTreeSet<AclRow> {
    rows.iter()
        .map(|(a, b, c, d, e)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                e.to_string(),
            )
        })
        .collect()
}

/// The seven privileges PostgreSQL gives a table's owner, as `aclexplode` names them.
const TABLE_ALL: [&str; 7] = [
    "INSERT",
    "SELECT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];

// ---- PostgreSQL ---------------------------------------------------------------------------

/// Four roles (cluster-wide, so unique names that sort as etl < scoring), schemas
/// `demo_ml` and `plain` in which etl and scoring may create.
struct Pg {
    etl: String,
    analysts: String,
    scoring: String,
    loader: String,
}

impl Pg {
    fn new() -> Pg {
        Pg {
            etl: common::unique("dpa_etl"),
            analysts: common::unique("dpa_analysts"),
            scoring: common::unique("dpb_scoring"),
            loader: common::unique("dpa_loader"),
        }
    }

    fn create_roles_sql(&self) -> String {
        format!(
            "CREATE ROLE {} NOLOGIN; CREATE ROLE {} NOLOGIN; CREATE ROLE {} NOLOGIN;
             CREATE ROLE {} NOLOGIN;",
            self.etl, self.analysts, self.scoring, self.loader
        )
    }

    /// A fresh database with the two schemas; the roles are created first unless they
    /// exist (another database of the same test made them).
    async fn database(&self, hint: &str) -> (String, Client) {
        let (db, c) = common::fresh_db(hint).await;
        let exists = c
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&self.etl])
            .await
            .unwrap()
            .is_some();
        if !exists {
            exec(&c, &self.create_roles_sql()).await;
        }
        exec(
            &c,
            &format!(
                "CREATE SCHEMA demo_ml; CREATE SCHEMA plain;
                 GRANT CREATE, USAGE ON SCHEMA demo_ml, plain TO {e}, {s};",
                e = self.etl,
                s = self.scoring
            ),
        )
        .await;
        (common::server().admin_url(&db), c)
    }

    /// A global entry with tables, functions and sequences for etl, a per-schema one
    /// (which repeats what the global one gives and adds to it), and keep_public: false
    /// for scoring. Lines: `default_privileges:` is line 7.
    fn yaml(&self, mode: &str) -> String {
        format!(
            "target: postgres
mode: {mode}
roles:
  {e}: {{}}
  {a}: {{}}
  {s}: {{}}
  {l}: {{}}
default_privileges:
  - for: {e}
    tables: {{select: [{a}], insert: [{l}]}}
    functions: {{execute: [{a}]}}
    sequences: {{usage: [{l}], select: [{a}]}}
  - for: {e}
    schema: demo_ml
    tables: {{select: [{a}, {s}], insert: [{l}], update: [{l}]}}
  - for: {s}
    keep_public: false
    functions: {{execute: [{a}]}}
",
            e = self.etl,
            a = self.analysts,
            s = self.scoring,
            l = self.loader,
        )
    }

    /// What [`Pg::yaml`] plans against a database with no default privileges.
    fn first_plan(&self) -> Vec<String> {
        let (e, a, s, l) = (&self.etl, &self.analysts, &self.scoring, &self.loader);
        vec![
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT EXECUTE ON FUNCTIONS TO {a};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT SELECT ON TABLES TO {a};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT INSERT ON TABLES TO {l};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT SELECT ON SEQUENCES TO {a};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT USAGE ON SEQUENCES TO {l};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT SELECT ON TABLES"),
            "  TO".to_string(),
            format!("    {a},"),
            format!("    {s};"),
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT INSERT, UPDATE ON TABLES TO {l};"
            ),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {s} GRANT EXECUTE ON FUNCTIONS TO {a};"),
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {s} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"),
        ]
    }

    /// `pg_default_acl` once [`Pg::yaml`] is applied: the global rows hold the role's
    /// own entry (and etl's functions PUBLIC's built-in EXECUTE, kept), the per-schema
    /// row only what it adds, scoring's functions row no PUBLIC.
    fn expected_acl(&self) -> BTreeSet<AclRow> {
        let (e, a, s, l) = (
            self.etl.as_str(),
            self.analysts.as_str(),
            self.scoring.as_str(),
            self.loader.as_str(),
        );
        let mut want = vec![
            (e, "", "r", a, "SELECT"),
            (e, "", "r", l, "INSERT"),
            (e, "", "f", "public", "EXECUTE"),
            (e, "", "f", e, "EXECUTE"),
            (e, "", "f", a, "EXECUTE"),
            (e, "", "S", e, "SELECT"),
            (e, "", "S", e, "UPDATE"),
            (e, "", "S", e, "USAGE"),
            (e, "", "S", a, "SELECT"),
            (e, "", "S", l, "USAGE"),
            (e, "demo_ml", "r", a, "SELECT"),
            (e, "demo_ml", "r", s, "SELECT"),
            (e, "demo_ml", "r", l, "INSERT"),
            (e, "demo_ml", "r", l, "UPDATE"),
            (s, "", "f", a, "EXECUTE"),
            (s, "", "f", s, "EXECUTE"),
        ];
        for p in TABLE_ALL {
            want.push((e, "", "r", e, p));
        }
        rows(&want)
    }
}

async fn has(c: &Client, check: &str, role: &str, object: &str, privilege: &str) -> bool {
    c.query_one(
        &format!("SELECT {check}($1::text, $2::text, $3::text)"),
        &[&role, &object, &privilege],
    )
    .await
    .unwrap_or_else(|e| panic!("{check}({role}, {object}, {privilege}): {e}"))
    .get(0)
}

#[tokio::test]
async fn postgres_defaults_plan_apply_converge_and_reach_objects_created_later() {
    let pg = Pg::new();
    let (url, c) = pg.database("dp_apply").await;
    let (url2, c2) = pg.database("dp_apply_file").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &pg.yaml("authoritative"));

    let plan = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        statements(&Run { code: 0, ..plan }),
        pg.first_plan(),
        "one default a statement, in object order"
    );
    assert!(default_acl(&c).await.is_empty(), "plan changes nothing");

    // Directly.
    let apply = run(&["apply", "--yes"], &file, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(default_acl(&c).await, pg.expected_acl());
    assert_converged(&file, &url);

    // Through a reviewed plan file, in a second database (defaults are per database).
    let (planfile, apply) = apply_through_plan_file(&dir, &file, &url2);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let text = std::fs::read_to_string(&planfile).unwrap();
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("-- ")).collect();
    assert_eq!(body, pg.first_plan(), "{text}");
    assert_eq!(default_acl(&c2).await, pg.expected_acl());
    assert_converged(&file, &url2);

    // The real proof: objects the roles create from now on carry the defaults.
    let (e, a, s, l) = (&pg.etl, &pg.analysts, &pg.scoring, &pg.loader);
    exec(
        &c,
        &format!(
            "SET ROLE {e};
             CREATE TABLE demo_ml.t (id int);
             CREATE TABLE plain.u (id int);
             CREATE SEQUENCE plain.seq;
             CREATE FUNCTION plain.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
             RESET ROLE;
             SET ROLE {s};
             CREATE FUNCTION demo_ml.g() RETURNS int LANGUAGE sql AS 'SELECT 2';
             CREATE PROCEDURE demo_ml.p() LANGUAGE sql AS 'SELECT 3';
             RESET ROLE;"
        ),
    )
    .await;
    let table = "has_table_privilege";
    let checks = [
        // Global table default: analysts SELECT, loader INSERT, nothing else.
        (table, a, "plain.u", "SELECT", true),
        (table, l, "plain.u", "INSERT", true),
        (table, l, "plain.u", "UPDATE", false),
        (table, s, "plain.u", "SELECT", false),
        (table, a, "plain.u", "INSERT", false),
        // In demo_ml, the global default plus the schema's.
        (table, a, "demo_ml.t", "SELECT", true),
        (table, s, "demo_ml.t", "SELECT", true),
        (table, l, "demo_ml.t", "INSERT", true),
        (table, l, "demo_ml.t", "UPDATE", true),
        (table, l, "demo_ml.t", "DELETE", false),
        ("has_sequence_privilege", a, "plain.seq", "SELECT", true),
        ("has_sequence_privilege", a, "plain.seq", "USAGE", false),
        ("has_sequence_privilege", l, "plain.seq", "USAGE", true),
        ("has_sequence_privilege", l, "plain.seq", "UPDATE", false),
        ("has_function_privilege", a, "plain.f()", "EXECUTE", true),
        // etl kept PUBLIC's built-in EXECUTE: anyone may run its functions.
        ("has_function_privilege", l, "plain.f()", "EXECUTE", true),
        // scoring's keep_public: false took it away: only analysts may (and the owner).
        ("has_function_privilege", a, "demo_ml.g()", "EXECUTE", true),
        ("has_function_privilege", l, "demo_ml.g()", "EXECUTE", false),
        ("has_function_privilege", e, "demo_ml.g()", "EXECUTE", false),
        // PostgreSQL's function default covers procedures too.
        ("has_function_privilege", a, "demo_ml.p()", "EXECUTE", true),
        ("has_function_privilege", l, "demo_ml.p()", "EXECUTE", false),
    ];
    for (check, role, object, privilege, want) in checks {
        assert_eq!(
            has(&c, check, role, object, privilege).await,
            want,
            "{check}({role}, {object}, {privilege})"
        );
    }
    // PUBLIC itself holds no entry on scoring's routines, and does on etl's function.
    let public_entries: Vec<String> = c
        .query(
            "SELECT p.oid::regprocedure::text
               FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
              WHERE p.oid = ANY ($1::text[]::regprocedure[]) AND a.grantee = 0
              ORDER BY 1",
            &[&vec!["plain.f()", "demo_ml.g()", "demo_ml.p()"]],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(public_entries, ["plain.f()"]);

    // Objects do not count: the defaults are still converged.
    assert_converged(&file, &url);
}

#[tokio::test]
async fn defaults_granted_by_hand_are_revoked_in_authoritative_mode_and_warned_in_additive() {
    let pg = Pg::new();
    let (url, c) = pg.database("dp_revoke").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &pg.yaml("authoritative"));
    let apply = run(&["apply", "--yes"], &file, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    let (e, a, s, l) = (&pg.etl, &pg.analysts, &pg.scoring, &pg.loader);
    exec(
        &c,
        &format!(
            // Managed: the file lists these (role, schema, kind) defaults.
            "ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT INSERT ON TABLES TO {s};
             ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT UPDATE ON SEQUENCES TO {s};
             ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT DELETE ON TABLES TO {a};
             ALTER DEFAULT PRIVILEGES FOR ROLE {s} GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
             -- Not managed: another role, a schema's functions, types.
             ALTER DEFAULT PRIVILEGES FOR ROLE {l} GRANT SELECT ON TABLES TO {s};
             ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT EXECUTE ON FUNCTIONS TO {s};
             ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA plain GRANT SELECT ON TABLES TO {s};
             ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT USAGE ON TYPES TO {s};"
        ),
    )
    .await;
    let revokes = [
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} REVOKE INSERT ON TABLES FROM {s};"),
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} REVOKE UPDATE ON SEQUENCES FROM {s};"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml REVOKE DELETE ON TABLES FROM {a};"
        ),
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {s} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"),
    ];
    let plan = run(&["plan"], &file, &url);
    assert_eq!(statements(&plan), revokes, "{}", plan.stderr);

    // Additive: nothing planned, each REVOKE named in a warning at its entry.
    let additive = write(&dir, "additive.yaml", &pg.yaml("additive"));
    let plan = run(&["plan", "--detailed-exitcode"], &additive, &url);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        statements(&plan),
        ["-- no changes: the server already matches the file"]
    );
    for (sql, at) in revokes.iter().zip([
        "default_privileges[0].tables",
        "default_privileges[0].sequences",
        "default_privileges[1].tables",
        "default_privileges[2].functions",
    ]) {
        assert!(
            plan.stderr
                .contains(&format!("help: authoritative mode would run: {sql}")),
            "{sql}\n{}",
            plan.stderr
        );
        assert!(
            plan.stderr.contains(&format!("at YAML path `{at}`")),
            "{at}\n{}",
            plan.stderr
        );
    }
    assert_eq!(
        plan.stderr.matches("not revoked in additive mode").count(),
        4,
        "{}",
        plan.stderr
    );
    let before = default_acl(&c).await;
    let apply = run(&["apply", "--yes"], &additive, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(default_acl(&c).await, before, "additive changed nothing");

    // Authoritative: exactly those four go, the unmanaged defaults stay.
    let apply = run(&["apply", "--yes"], &file, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let mut want = pg.expected_acl();
    want.extend(rows(&[
        (l, "", "r", s, "SELECT"),
        (e, "demo_ml", "f", s, "EXECUTE"),
        (e, "plain", "r", s, "SELECT"),
    ]));
    for p in TABLE_ALL {
        want.insert((l.clone(), "".into(), "r".into(), l.clone(), p.into()));
    }
    let types: BTreeSet<AclRow> = rows(&[
        (e, "", "T", "public", "USAGE"),
        (e, "", "T", e, "USAGE"),
        (e, "", "T", s, "USAGE"),
    ]);
    want.extend(types);
    assert_eq!(default_acl(&c).await, want);
    assert_converged(&file, &url);
}

#[tokio::test]
async fn a_per_schema_rule_that_the_global_default_contradicts_is_a_located_error() {
    let pg = Pg::new();
    let (url, c) = pg.database("dp_contradiction").await;
    let (e, a, s) = (&pg.etl, &pg.analysts, &pg.scoring);
    let dir = tempfile::tempdir().unwrap();

    // 1. The file's own global rule gives analysts SELECT; the schema's lists no one.
    let yaml = format!(
        "target: postgres
roles:
  {e}: {{}}
  {a}: {{}}
default_privileges:
  - for: {e}
    tables: {{select: [{a}]}}
  - for: {e}
    schema: demo_ml
    tables:
      select: []
"
    );
    let file = write(&dir, "grants.yaml", &yaml);
    for args in [&["plan"][..], &["apply", "--yes"]] {
        let out = run(args, &file, &url);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(
            !out.stdout.contains("ALTER DEFAULT"),
            "{args:?}: {}",
            out.stdout
        );
        for part in [
            format!(
                "error: default privileges of role `{e}` in schema `demo_ml` on new tables: \
                 role `{a}` would still get SELECT on them from the global default of role \
                 `{e}`, and a default in a schema only adds to the global one"
            ),
            format!("--> {}:10:5", file.display()),
            "at YAML path `default_privileges[1].tables`".to_string(),
            "help: list it under `select` here, or take SELECT from the global default".to_string(),
        ] {
            assert!(
                out.stderr.contains(&part),
                "{args:?}: {part}\n{}",
                out.stderr
            );
        }
    }
    assert!(default_acl(&c).await.is_empty(), "nothing was sent");

    // 2. No global rule in the file: the server's global row is what gives.
    exec(
        &c,
        &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT SELECT, INSERT ON TABLES TO {a};"),
    )
    .await;
    let before = default_acl(&c).await;
    let yaml = format!(
        "target: postgres
roles:
  {e}: {{}}
  {a}: {{}}
  {s}: {{}}
default_privileges:
  - for: {e}
    schema: demo_ml
    tables: {{select: [{a}, {s}]}}
"
    );
    let file = write(&dir, "server_row.yaml", &yaml);
    let out = run(&["apply", "--yes"], &file, &url);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains(&format!("role `{a}` would still get INSERT on them"))
            && out.stderr.contains(&format!("--> {}:9:5", file.display()))
            && out
                .stderr
                .contains("at YAML path `default_privileges[0].tables`"),
        "{}",
        out.stderr
    );
    assert_eq!(default_acl(&c).await, before, "nothing was sent");

    // 3. keep_public: false in a schema cannot take PUBLIC's built-in EXECUTE, which the
    // global default (no row: the built-in) still gives.
    let yaml = format!(
        "target: postgres
roles:
  {s}: {{}}
  {a}: {{}}
default_privileges:
  - for: {s}
    schema: demo_ml
    keep_public: false
    functions: {{execute: [{a}]}}
"
    );
    let file = write(&dir, "built_in.yaml", &yaml);
    let out = run(&["plan"], &file, &url);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "default privileges of role `{s}` in schema `demo_ml` on new functions: PUBLIC \
             would still get EXECUTE on them from the global default of role `{s}`"
        )) && out.stderr.contains(&format!("--> {}:9:5", file.display()))
            && out
                .stderr
                .contains("at YAML path `default_privileges[0].functions`"),
        "{}",
        out.stderr
    );
    // With the global default told to drop PUBLIC too, the same rule is met.
    let both = write(
        &dir,
        "both.yaml",
        &format!("{yaml}  - for: {s}\n    keep_public: false\n    functions: {{execute: [{a}]}}\n"),
    );
    let out = run(&["plan"], &both, &url);
    assert_eq!(
        statements(&out),
        [
            format!("ALTER DEFAULT PRIVILEGES FOR ROLE {s} GRANT EXECUTE ON FUNCTIONS TO {a};"),
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {s} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"
            ),
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {s} IN SCHEMA demo_ml GRANT EXECUTE ON FUNCTIONS TO {a};"
            ),
        ],
        "{}",
        out.stderr
    );
    assert_eq!(default_acl(&c).await, before, "nothing was sent");
}

/// A YAML double-quoted string.
fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A `schema:` value naming exactly `schema`: in double quotes with `"` doubled
/// (grants.yaml's key grammar), so no character is a glob.
fn exact_schema(schema: &str) -> String {
    yaml_str(&format!("\"{}\"", schema.replace('"', "\"\"")))
}

/// `name` padded with ASCII to exactly 63 bytes, PostgreSQL's limit.
fn max_length(name: String) -> String {
    assert!(name.len() <= 63, "{name}");
    let pad = 63 - name.len();
    format!("{name}{}", "x".repeat(pad))
}

#[tokio::test]
async fn hostile_role_and_schema_names_apply_converge_and_read_back() {
    let (db, c) = common::fresh_db("dp_hostile").await;
    let url = common::server().admin_url(&db);
    let q = common::quote_ident;
    let owner = common::unique("Dp \"Etl\"; select 日本");
    // A reserved word, which must be quoted: exactly the word, so not through
    // `common::unique`; the server is this test binary's own and no other test of it
    // creates this role.
    let keyword = "grant".to_string();
    // Two-byte letters then the unique suffix, then ASCII up to 63 bytes.
    let long_role = max_length(common::unique(&"é".repeat(20)));
    assert_eq!(long_role.len(), 63);
    let odd_schema = "we\"ird; Schema 日本 select";
    let long_schema = format!("{}s", "ß".repeat(31));
    assert_eq!(long_schema.len(), 63);
    exec(
        &c,
        &format!(
            "CREATE ROLE {} NOLOGIN; CREATE ROLE {} NOLOGIN; CREATE ROLE {} NOLOGIN;
             CREATE SCHEMA {}; CREATE SCHEMA {};
             CREATE SCHEMA \"order\";",
            q(&owner),
            q(&keyword),
            q(&long_role),
            q(odd_schema),
            q(&long_schema),
        ),
    )
    .await;
    let (o, k, lr) = (yaml_str(&owner), yaml_str(&keyword), yaml_str(&long_role));
    let yaml = format!(
        "target: postgres
roles:
  {o}: {{}}
  {k}: {{}}
  {lr}: {{}}
default_privileges:
  - for: {o}
    tables: {{select: [{k}]}}
    keep_public: false
    functions: {{execute: [{lr}]}}
  - for: {o}
    schema: {}
    tables: {{select: [{k}, {lr}]}}
    sequences: {{update: [{k}]}}
  - for: {lr}
    schema: {}
    tables: {{delete: [{o}]}}
  - for: {k}
    schema: \"ord*\"
    functions: {{execute: [{o}, public]}}
",
        exact_schema(odd_schema),
        exact_schema(&long_schema),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &yaml);
    let (qo, qk, ql) = (q(&owner), q(&keyword), q(&long_role));
    let (qs, qls) = (q(odd_schema), q(&long_schema));
    let expected = vec![
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qo} GRANT EXECUTE ON FUNCTIONS TO {ql};"),
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qo} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"),
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qo} GRANT SELECT ON TABLES TO {qk};"),
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qo} IN SCHEMA {qs} GRANT SELECT ON TABLES"),
        "  TO".to_string(),
        format!("    {qk},"),
        format!("    {ql};"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {qo} IN SCHEMA {qs} GRANT UPDATE ON SEQUENCES TO {qk};"
        ),
        // Object order is by role name: "Dp..." < "grant" < "é...".
        format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qk} IN SCHEMA \"order\" GRANT EXECUTE ON FUNCTIONS"),
        "  TO".to_string(),
        format!("    {qo},"),
        "    PUBLIC;".to_string(),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {ql} IN SCHEMA {qls} GRANT DELETE ON TABLES TO {qo};"
        ),
    ];
    let plan = run(&["plan"], &file, &url);
    assert_eq!(statements(&plan), expected, "{yaml}\n{}", plan.stderr);

    let (planfile, apply) = apply_through_plan_file(&dir, &file, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let text = std::fs::read_to_string(&planfile).unwrap();
    let loaded = grantplan::planfile::load(&planfile).unwrap();
    let rendered: Vec<String> = loaded
        .statements
        .iter()
        .flat_map(|s| s.render_lines(grantplan::model::Target::Postgres))
        .collect();
    assert_eq!(rendered, expected, "{text}");
    assert_converged(&file, &url);

    let (o, k, l) = (owner.as_str(), keyword.as_str(), long_role.as_str());
    let mut want = vec![
        (o, "", "r", k, "SELECT"),
        (o, "", "f", o, "EXECUTE"),
        (o, "", "f", l, "EXECUTE"),
        (o, odd_schema, "r", k, "SELECT"),
        (o, odd_schema, "r", l, "SELECT"),
        (o, odd_schema, "S", k, "UPDATE"),
        (l, long_schema.as_str(), "r", o, "DELETE"),
        (k, "order", "f", o, "EXECUTE"),
        (k, "order", "f", "public", "EXECUTE"),
    ];
    for p in TABLE_ALL {
        want.push((o, "", "r", o, p));
    }
    assert_eq!(default_acl(&c).await, rows(&want));

    // A default by hand under the hostile names is revoked, and converges again.
    exec(
        &c,
        &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {qo} IN SCHEMA {qs} GRANT TRUNCATE ON TABLES TO {ql};"),
    )
    .await;
    let plan = run(&["plan"], &file, &url);
    assert_eq!(
        statements(&plan),
        [format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {qo} IN SCHEMA {qs} REVOKE TRUNCATE ON TABLES FROM {ql};"
        )]
    );
    let apply = run(&["apply", "--yes"], &file, &url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(default_acl(&c).await, rows(&want));
    assert_converged(&file, &url);
}

#[tokio::test]
async fn a_reviewed_plan_is_refused_when_a_managed_default_changed_since() {
    let pg = Pg::new();
    let (url, c) = pg.database("dp_drift").await;
    let (e, s, l) = (&pg.etl, &pg.scoring, &pg.loader);
    exec(
        &c,
        &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} GRANT INSERT ON TABLES TO {s};"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &pg.yaml("authoritative"));
    let apply_file = |plan: &Path| {
        common::run(
            common::grantplan()
                .args(["apply", "--yes", "--database-url", &url, "-f"])
                .arg(&file)
                .arg(plan),
        )
    };
    let plan_out = |name: &str| {
        let path = dir.path().join(name);
        let out = common::run(
            common::grantplan()
                .args(["plan", "--database-url", &url, "-f"])
                .arg(&file)
                .arg("--out")
                .arg(&path),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        path
    };

    // A managed default changed by hand after review: the plan made now differs.
    let reviewed = plan_out("reviewed.sql");
    let text = std::fs::read_to_string(&reviewed).unwrap();
    assert!(
        text.contains(&format!(
            "\nALTER DEFAULT PRIVILEGES FOR ROLE {e} REVOKE INSERT ON TABLES FROM {s};\n"
        )),
        "{text}"
    );
    exec(
        &c,
        &format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT TRUNCATE ON TABLES TO {s};"
        ),
    )
    .await;
    let before = default_acl(&c).await;
    let out = apply_file(&reviewed);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the catalog changed since")
            && out.stderr.contains("nothing was applied"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "\n+ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml REVOKE TRUNCATE ON TABLES FROM {s};\n"
        )),
        "the difference is the new REVOKE: {}",
        out.stderr
    );
    assert_eq!(default_acl(&c).await, before, "nothing changed");

    // A change that leaves the statements as they were (the owner's own entry, which is
    // never revoked) still moved what they were planned from: refused.
    let reviewed = plan_out("reviewed2.sql");
    exec(
        &c,
        &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {e} REVOKE TRUNCATE ON TABLES FROM {e};"),
    )
    .await;
    let before = default_acl(&c).await;
    let out = apply_file(&reviewed);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the catalog changed since")
            && out
                .stderr
                .contains("(the statements are the same; what they were planned from is not)"),
        "{}",
        out.stderr
    );
    assert_eq!(default_acl(&c).await, before, "nothing changed");

    // A default the file does not manage is not what the plan was made from: the
    // reviewed plan still applies, and converges the managed defaults.
    let reviewed = plan_out("reviewed3.sql");
    exec(
        &c,
        &format!("ALTER DEFAULT PRIVILEGES FOR ROLE {l} GRANT SELECT ON TABLES TO {s};"),
    )
    .await;
    let out = apply_file(&reviewed);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_converged(&file, &url);
    assert!(default_acl(&c).await.contains(&(
        l.clone(),
        String::new(),
        "r".into(),
        s.clone(),
        "SELECT".into()
    )));
}

#[tokio::test]
async fn a_missing_schema_is_left_out_with_a_warning_and_an_error_under_strict() {
    let pg = Pg::new();
    let (url, c) = pg.database("dp_missing").await;
    let (e, a) = (&pg.etl, &pg.analysts);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "grants.yaml",
        &format!(
            "target: postgres
roles: {{{e}: {{}}, {a}: {{}}}}
default_privileges:
  - for: {e}
    schema: nosuch
    tables: {{select: [{a}]}}
  - for: {e}
    schema: \"zz*\"
    tables: {{select: [{a}]}}
  - for: {e}
    schema: \"demo_*\"
    functions: {{execute: [{a}]}}
"
        ),
    );
    let out = run(&["plan"], &file, &url);
    assert_eq!(
        statements(&out),
        [format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {e} IN SCHEMA demo_ml GRANT EXECUTE ON FUNCTIONS TO {a};"
        )],
        "{}",
        out.stderr
    );
    for part in [
        format!(
            "warning: schema `nosuch` does not exist, so the default privileges of role `{e}` \
             in schema `nosuch` on new tables are left out of this plan"
        ),
        format!("--> {}:6:5", file.display()),
        format!(
            "warning: `schema: zz*` matches no schema, so the default privileges of role `{e}` \
             in schema `zz*` on new tables are left out of this plan"
        ),
        format!("--> {}:9:5", file.display()),
    ] {
        assert!(out.stderr.contains(&part), "{part}\n{}", out.stderr);
    }
    let strict = run(&["apply", "--yes", "--strict"], &file, &url);
    assert_eq!(strict.code, 1, "{}\n{}", strict.stdout, strict.stderr);
    assert!(
        strict.stderr.contains(&format!(
            "error: schema `nosuch` does not exist, so the default privileges of role `{e}`"
        )),
        "{}",
        strict.stderr
    );
    assert!(default_acl(&c).await.is_empty(), "nothing was sent");
}

// ---- Redshift, against the recreated catalog ---------------------------------------------

/// The binary, told that plaintext is fine (the test server speaks no TLS).
/// The seed's users alice (101) and bob (102), groups retention_analyst_grp (200) and
/// marketing_analyst_grp (201); a role ml_admin the plan creates unless the fixture has
/// it. Line 12 is the first entry's `tables:`, line 17 the second's.
const REDSHIFT_YAML: &str = "target: redshift
groups:
  retention_analyst_grp: {}
  marketing_analyst_grp: {}
roles:
  ml_admin: {}
users:
  alice: {}
  bob: {}
default_privileges:
  - for: alice
    tables: {select: [retention_analyst_grp, bob], drop: [ml_admin]}
    functions: {execute: [marketing_analyst_grp]}
    procedures: {execute: [retention_analyst_grp, public]}
  - for: alice
    schema: demo_ml
    tables: {select: [retention_analyst_grp, bob, marketing_analyst_grp], drop: [ml_admin], truncate: [bob]}
  - for: bob
    keep_public: false
    functions: {execute: [ml_admin]}
";

/// `svv_default_privileges` rows equal to [`REDSHIFT_YAML`], and the role.
const REDSHIFT_CONVERGED: &str = "
INSERT INTO redshift_catalog.svv_roles VALUES (410, 'ml_admin', 'postgres', NULL);
INSERT INTO redshift_catalog.svv_default_privileges
    (schema_name, object_type, owner_id, owner_name, owner_type, privilege_type,
     grantee_id, grantee_name, grantee_type, admin_option) VALUES
 (NULL, 'FUNCTION', 101, 'alice', 'user', 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false),
 (NULL, 'RELATION', 101, 'alice', 'user', 'SELECT', 200, 'retention_analyst_grp', 'group', false),
 (NULL, 'RELATION', 101, 'alice', 'user', 'SELECT', 102, 'bob', 'user', false),
 (NULL, 'RELATION', 101, 'alice', 'user', 'DROP', 410, 'ml_admin', 'role', false),
 (NULL, 'PROCEDURE', 101, 'alice', 'user', 'EXECUTE', 200, 'retention_analyst_grp', 'group', false),
 (NULL, 'PROCEDURE', 101, 'alice', 'user', 'EXECUTE', 0, NULL, 'public', false),
 ('demo_ml', 'RELATION', 101, 'alice', 'user', 'SELECT', 200, 'retention_analyst_grp', 'group', false),
 ('demo_ml', 'RELATION', 101, 'alice', 'user', 'SELECT', 201, 'marketing_analyst_grp', 'group', false),
 ('demo_ml', 'RELATION', 101, 'alice', 'user', 'SELECT', 102, 'bob', 'user', false),
 ('demo_ml', 'RELATION', 101, 'alice', 'user', 'TRUNCATE', 102, 'bob', 'user', false),
 ('demo_ml', 'RELATION', 101, 'alice', 'user', 'DROP', 410, 'ml_admin', 'role', false),
 (NULL, 'FUNCTION', 102, 'bob', 'user', 'EXECUTE', 410, 'ml_admin', 'role', false);
";

#[tokio::test]
async fn redshift_defaults_plan_for_user_with_groups_and_procedures_and_read_back() {
    let (db, _c) = common::redshift_fixture("dp_rs_plan", &["seed_fresh.sql"]).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_YAML);
    let expected = [
        "CREATE ROLE ml_admin;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice GRANT EXECUTE ON FUNCTIONS TO GROUP marketing_analyst_grp;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice GRANT SELECT ON TABLES",
        "  TO",
        "    GROUP retention_analyst_grp,",
        "    bob;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice GRANT DROP ON TABLES TO ROLE ml_admin;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice GRANT EXECUTE ON PROCEDURES",
        "  TO",
        "    GROUP retention_analyst_grp,",
        "    PUBLIC;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice IN SCHEMA demo_ml GRANT SELECT ON TABLES",
        "  TO",
        "    GROUP retention_analyst_grp,",
        "    GROUP marketing_analyst_grp;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice IN SCHEMA demo_ml GRANT DROP ON TABLES TO ROLE ml_admin;",
        "ALTER DEFAULT PRIVILEGES FOR USER alice IN SCHEMA demo_ml GRANT SELECT, TRUNCATE ON TABLES TO bob;",
        "ALTER DEFAULT PRIVILEGES FOR USER bob GRANT EXECUTE ON FUNCTIONS TO ROLE ml_admin;",
        "ALTER DEFAULT PRIVILEGES FOR USER bob REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;",
    ];
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(statements(&out), expected, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "no warnings: {}", out.stderr);

    // Through --out: the plan file reads back to the same statements.
    let plan_file = dir.path().join("plan.sql");
    let out = redshift_run(&["plan", "--out", plan_file.to_str().unwrap()], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&plan_file).unwrap();
    assert!(text.contains("\n-- target: redshift\n"), "{text}");
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("-- ")).collect();
    assert_eq!(body, expected, "{text}");
    let loaded = grantplan::planfile::load(&plan_file).unwrap();
    assert_eq!(loaded.statements.len(), 10);
    let rendered: Vec<String> = loaded
        .statements
        .iter()
        .flat_map(|s| s.render_lines(grantplan::model::Target::Redshift))
        .collect();
    assert_eq!(rendered, expected, "{text}");
}

#[tokio::test]
async fn redshift_defaults_equal_to_the_file_plan_nothing_and_drift_is_revoked() {
    let (db, c) = common::redshift_fixture("dp_rs_conv", &["seed_fresh.sql"]).await;
    exec(&c, REDSHIFT_CONVERGED).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_YAML);
    let out = redshift_run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out),
        ["-- no changes: the server already matches the file"]
    );

    // Extra defaults the file does not list: revoked, GROUP and PUBLIC spelled as
    // Redshift wants; a default of another user is not managed.
    exec(
        &c,
        "INSERT INTO redshift_catalog.svv_default_privileges VALUES
          (NULL, 'RELATION', 101, 'alice', 'user', 'INSERT', 201, 'marketing_analyst_grp', 'group', false),
          ('demo_ml', 'RELATION', 101, 'alice', 'user', 'DELETE', 0, NULL, 'public', false),
          (NULL, 'FUNCTION', 102, 'bob', 'user', 'EXECUTE', 0, NULL, 'public', false),
          (NULL, 'RELATION', 103, 'carol', 'user', 'SELECT', 102, 'bob', 'user', false);",
    )
    .await;
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(
        statements(&out),
        [
            "ALTER DEFAULT PRIVILEGES FOR USER alice REVOKE INSERT ON TABLES FROM GROUP marketing_analyst_grp;",
            "ALTER DEFAULT PRIVILEGES FOR USER alice IN SCHEMA demo_ml REVOKE DELETE ON TABLES FROM PUBLIC;",
            "ALTER DEFAULT PRIVILEGES FOR USER bob REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;",
        ],
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_redshift_drop_default_to_take_back_is_a_located_error() {
    let (db, c) = common::redshift_fixture("dp_rs_drop", &["seed_fresh.sql"]).await;
    exec(&c, REDSHIFT_CONVERGED).await;
    exec(
        &c,
        "INSERT INTO redshift_catalog.svv_default_privileges VALUES
          ('demo_ml', 'RELATION', 101, 'alice', 'user', 'DROP', 102, 'bob', 'user', false);",
    )
    .await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_YAML);
    for args in [&["plan"][..], &["apply", "--yes"]] {
        let out = redshift_run(args, &file, &url);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(!out.stdout.contains("ALTER"), "{}", out.stdout);
        for part in [
            "error: user `bob` holds DROP in the default privileges of alice in demo_ml on \
             tables, which the file does not list, and Redshift's ALTER DEFAULT PRIVILEGES ... \
             REVOKE has no DROP (r_ALTER_DEFAULT_PRIVILEGES): grantplan cannot take it back alone"
                .to_string(),
            format!("--> {}:17:5", file.display()),
            "at YAML path `default_privileges[1].tables`".to_string(),
            "help: take every default privilege from it with ALTER DEFAULT PRIVILEGES FOR USER \
             alice IN SCHEMA demo_ml REVOKE ALL ON TABLES FROM bob; then plan again"
                .to_string(),
        ] {
            assert!(
                out.stderr.contains(&part),
                "{args:?}: {part}\n{}",
                out.stderr
            );
        }
    }
    // Listing it under drop: makes the file and the server agree.
    let listed = write(
        &dir,
        "listed.yaml",
        &REDSHIFT_YAML.replace(
            "drop: [ml_admin], truncate: [bob]",
            "drop: [ml_admin, bob], truncate: [bob]",
        ),
    );
    let out = redshift_run(&["plan", "--detailed-exitcode"], &listed, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

// ---- The file's own errors ----------------------------------------------------------------

/// Each is exit 1 at its YAML path in every command that reads the file, before any
/// connection: the URL names a port that must never see one.
#[test]
fn default_privileges_file_errors_are_located_before_any_connection() {
    let (port, listener) = common::untouched_listener();
    let url = format!("postgres://admin@127.0.0.1:{port}/dev?sslmode=disable");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "no_for.yaml",
            "target: postgres\nroles: {etl: {}, an: {}}\ndefault_privileges:\n  - schema: s\n    tables: {select: [an]}\n",
            "no_for.yaml:4:5",
            "`default_privileges[0]`",
            "default_privileges[0] has no `for:`: whose new objects it is about",
        ),
        (
            "for_role.yaml",
            "target: redshift\nroles: {etl: {}}\nusers: {u: {}}\ndefault_privileges:\n  - for: role:etl\n    tables: {select: [u]}\n",
            "for_role.yaml:5:10",
            "`default_privileges[0].for`",
            "`for:` names role `etl`; Redshift sets default privileges for users only (ALTER DEFAULT PRIVILEGES FOR USER)",
        ),
        (
            "procedures.yaml",
            "target: postgres\nroles: {etl: {}, an: {}}\ndefault_privileges:\n  - for: etl\n    procedures: {execute: [an]}\n",
            "procedures.yaml:5:5",
            "`default_privileges[0].procedures`",
            "`procedures:` cannot be a default privilege on PostgreSQL: PostgreSQL keeps one default for functions and procedures: write `functions:`",
        ),
        (
            "alter.yaml",
            "target: redshift\nusers: {u: {}}\ngroups: {g: {}}\ndefault_privileges:\n  - for: u\n    tables:\n      select: [g]\n      alter: [g]\n",
            "alter.yaml:8:7",
            "`default_privileges[0].tables.alter`",
            "`alter` cannot be a default privilege on Redshift: its ALTER DEFAULT PRIVILEGES ... ON TABLES has no ALTER",
        ),
    ];
    for (name, yaml, at, path, message) in cases {
        let file = write(&dir, name, yaml);
        for args in [&["plan"][..], &["apply", "--yes"], &["diff"]] {
            let out = common::run(
                common::grantplan()
                    .env("PGSSLMODE", "disable")
                    .args(args)
                    .arg("-f")
                    .arg(&file)
                    .arg("--database-url")
                    .arg(&url),
            );
            let context = format!("{name} {args:?}: {}", out.stderr);
            assert_eq!(out.code, 1, "{context}");
            assert!(out.stdout.is_empty(), "{context}\n{}", out.stdout);
            assert!(
                out.stderr.contains(&format!("error: {message}")),
                "{context}"
            );
            assert!(
                out.stderr
                    .contains(&format!("--> {}", dir.path().join(at).display())),
                "{context}"
            );
            assert!(
                out.stderr.contains(&format!("at YAML path {path}")),
                "{context}"
            );
            common::assert_nobody_connected(&listener, &context);
        }
        let validate = common::run(common::grantplan().arg("validate").arg("-f").arg(&file));
        assert_eq!(validate.code, 1, "{name}: {}", validate.stderr);
        assert!(
            validate.stderr.contains(&format!("at YAML path {path}")),
            "{name}: {}",
            validate.stderr
        );
    }
}

/// `diff` (text and JSON) and `plan --format markdown` name each default privilege by
/// its role, schema and kind, never as CREATE MODEL (which PostgreSQL does not have),
/// and the JSON diff's `removed` holds the PUBLIC EXECUTE that keep_public: false
/// takes away.
#[tokio::test]
async fn diff_and_markdown_name_default_privileges_not_create_model() {
    let pg = Pg::new();
    let (url, _c) = pg.database("dp_diff").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &pg.yaml("authoritative"));
    let (e, s) = (&pg.etl, &pg.scoring);
    let mut wrong = Vec::new();

    let text = run(&["diff"], &file, &url);
    assert_eq!(text.code, 0, "{}", text.stderr);
    if text.stdout.contains("CREATE MODEL") {
        wrong.push(format!("diff says CREATE MODEL:\n{}", text.stdout));
    }
    // The per-schema default that gives scoring SELECT is named as such.
    let named = text.stdout.lines().any(|l| {
        l.starts_with('+')
            && l.contains(&format!("SELECT held by role {s}"))
            && l.contains(e.as_str())
            && l.contains("demo_ml")
            && l.contains("tables")
    });
    if !named {
        wrong.push(format!(
            "no diff line names etl's demo_ml tables default:\n{}",
            text.stdout
        ));
    }

    let json = run(&["diff", "--format", "json"], &file, &url);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let removed: Vec<&str> = doc["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    if !removed
        .iter()
        .any(|l| l.contains(s.as_str()) && l.contains("EXECUTE held by PUBLIC"))
    {
        wrong.push(format!(
            "the plan revokes EXECUTE from PUBLIC in scoring's default, but `removed` is {removed:?}"
        ));
    }

    let md = run(&["plan", "--format", "markdown"], &file, &url);
    assert_eq!(md.code, 0, "{}", md.stderr);
    if md.stdout.contains("CREATE MODEL") {
        wrong.push(format!(
            "plan --format markdown says CREATE MODEL:\n{}",
            md.stdout
        ));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Whether PUBLIC still holds its built-in EXECUTE on a user's new functions is read
/// from `pg_default_acl` too (r_PG_DEFAULT_ACL): svv_default_privileges need not list a
/// global entry that holds only the owner's own privileges, and without this a
/// `keep_public: false` REVOKE would be planned again after every apply.
#[tokio::test]
async fn redshift_public_execute_on_new_functions_is_read_from_pg_default_acl() {
    let (db, c) = common::redshift_fixture("dp_rs_acl", &["seed_fresh.sql"]).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "grants.yaml",
        "target: redshift\nusers:\n  bob: {}\ndefault_privileges:\n  - for: bob\n    \
         keep_public: false\n    functions: {execute: []}\n",
    );
    let revoke = ["ALTER DEFAULT PRIVILEGES FOR USER bob REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"];
    // No entry anywhere: the built-in default, PUBLIC may execute.
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(statements(&out), revoke, "{}", out.stderr);
    // The entry the REVOKE leaves (bob's own EXECUTE), which the view does not list.
    exec(
        &c,
        "INSERT INTO redshift_catalog.pg_default_acl VALUES (102, 0, 'f', ARRAY['bob=X/bob']);",
    )
    .await;
    let out = redshift_run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // An entry whose items still give PUBLIC EXECUTE (`=X/bob`), and another user's:
    // only bob's is managed.
    exec(
        &c,
        "UPDATE redshift_catalog.pg_default_acl SET defaclacl = ARRAY['=X/bob', 'bob=X/bob'];
         INSERT INTO redshift_catalog.pg_default_acl VALUES (101, 0, 'f', ARRAY['=X/alice']);",
    )
    .await;
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(statements(&out), revoke, "{}", out.stderr);
    // A per-schema entry or another kind is not read from there.
    exec(
        &c,
        "DELETE FROM redshift_catalog.pg_default_acl;
         INSERT INTO redshift_catalog.pg_default_acl VALUES
           (102, 2200, 'f', ARRAY['bob=X/bob']), (102, 0, 'r', ARRAY['bob=r/bob']);",
    )
    .await;
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(statements(&out), revoke, "{}", out.stderr);
}
