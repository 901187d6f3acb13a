//! The PostgreSQL catalog reader against a real server (see `common` for the harness).
//!
//! Roles are cluster-wide and tests run concurrently, so every assertion about roles is
//! filtered to the names the test created; schemas and functions live in the test's own
//! database and are asserted whole.

mod common;

use common::exec;

use common::{fresh_db, quote_ident as q, unique};
use grantplan::catalog::postgres::{self, ReadError, QUERIES};
use grantplan::catalog::{
    Acl, DefaultInfo, Membership, ObjectInfo, PrincipalInfo, Progress, Snapshot,
};
use grantplan::model::{
    Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target,
};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use Privilege::{Create, Execute, Usage};

/// The steps of a read, in order, as progress names them.
const STEPS: [&str; 8] = [
    "server",
    "roles",
    "memberships",
    "schemas",
    "functions",
    "relations",
    "database",
    "default privileges",
];

fn user(name: &str) -> Grantee {
    Grantee::principal(PrincipalKind::User, name)
}

fn role(name: &str) -> Grantee {
    Grantee::principal(PrincipalKind::Role, name)
}

fn acl(grantee: Grantee, privilege: Privilege) -> Acl {
    Acl {
        grantee,
        privilege,
        grant_option: false,
    }
}

fn acl_go(grantee: Grantee, privilege: Privilege) -> Acl {
    Acl {
        grant_option: true,
        ..acl(grantee, privilege)
    }
}

fn schema(name: &str, owner: &str, mut grants: Vec<Acl>) -> ObjectInfo {
    grants.sort();
    ObjectInfo::new(Securable::Schema { name: name.into() }, owner, grants)
}

fn function(schema: &str, name: &str, args: &str, owner: &str, mut grants: Vec<Acl>) -> ObjectInfo {
    grants.sort();
    let object = Securable::Function {
        schema: schema.into(),
        name: name.into(),
        args: Some(args.into()),
    };
    ObjectInfo::new(object, owner, grants)
}

/// `base` padded with `é` (2 bytes) and `x` to exactly 63 bytes, PostgreSQL's limit.
fn name_of_63_bytes(base: &str) -> String {
    let mut s = base.to_string();
    while s.len() + 2 <= 63 {
        s.push('é');
    }
    while s.len() < 63 {
        s.push('x');
    }
    assert_eq!(s.len(), 63);
    s
}

async fn read(c: &tokio_postgres::Client) -> Snapshot {
    postgres::read(c).await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn reads_exact_principals_memberships_schemas_and_functions() {
    let (db, c) = fresh_db("exact").await;

    // Roles: hostile names keep a unique suffix, since roles are cluster-wide.
    let alice = unique("alice"); // login: a user
    let analysts = unique("analysts"); // nologin: a role
    let boss = unique("boss"); // superuser
    let sales = unique("Sales ML"); // space and capitals
    let quote = unique("a\"b"); // embedded double quote
    let long = name_of_63_bytes(&unique("données"));
    exec(
        &c,
        &format!(
            "CREATE ROLE {alice} LOGIN;
             CREATE ROLE {analysts} NOLOGIN;
             CREATE ROLE {boss} LOGIN SUPERUSER;
             CREATE ROLE {sales} NOLOGIN;
             CREATE ROLE {quote} LOGIN;
             CREATE ROLE {long} NOLOGIN;
             GRANT {analysts} TO {alice}, {quote};
             GRANT {sales} TO {analysts};
             GRANT {long} TO {boss};",
            alice = q(&alice),
            analysts = q(&analysts),
            boss = q(&boss),
            sales = q(&sales),
            quote = q(&quote),
            long = q(&long),
        ),
    )
    .await;

    // Schemas and functions live in this test's database: exact hostile names.
    let long_schema = name_of_63_bytes("");
    exec(
        &c,
        &format!(
            r#"
            CREATE SCHEMA demo_ml;
            GRANT USAGE ON SCHEMA demo_ml TO {analysts};
            GRANT CREATE, USAGE ON SCHEMA demo_ml TO {alice} WITH GRANT OPTION;
            GRANT USAGE ON SCHEMA demo_ml TO PUBLIC;

            CREATE SCHEMA "Sales ML" AUTHORIZATION {alice};   -- NULL acl, owned by alice
            CREATE SCHEMA "a""b";
            REVOKE ALL ON SCHEMA "a""b" FROM postgres;        -- empty acl: no grants at all
            CREATE SCHEMA "select";
            GRANT ALL ON SCHEMA "select" TO {sales};
            GRANT USAGE ON SCHEMA "select" TO {quote};
            CREATE SCHEMA "données" AUTHORIZATION {analysts}; -- NULL acl, owned by a role
            CREATE SCHEMA {long_schema};
            GRANT USAGE ON SCHEMA {long_schema} TO {long};

            CREATE FUNCTION demo_ml.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
            CREATE FUNCTION demo_ml.f(text, integer[]) RETURNS integer LANGUAGE sql AS 'SELECT 2';
            REVOKE EXECUTE ON FUNCTION demo_ml.f(text, integer[]) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION demo_ml.f(text, integer[]) TO {analysts} WITH GRANT OPTION;
            CREATE FUNCTION demo_ml.g(OUT a integer, INOUT b text) LANGUAGE sql AS 'SELECT 1, $1';
            CREATE DOMAIN "données".t AS text;
            CREATE FUNCTION "Sales ML"."a""b"(x "données".t, VARIADIC y numeric[])
                RETURNS integer LANGUAGE sql AS 'SELECT 3';
            ALTER FUNCTION "Sales ML"."a""b"("données".t, numeric[]) OWNER TO {alice};
            CREATE FUNCTION "select"."select"() RETURNS integer LANGUAGE sql AS 'SELECT 4';
            GRANT EXECUTE ON FUNCTION "select"."select"() TO {long};

            -- Not plain functions, or not the user's: never reported.
            CREATE PROCEDURE demo_ml.p() LANGUAGE sql AS 'SELECT 1';
            CREATE AGGREGATE demo_ml.agg(integer) (SFUNC = int4pl, STYPE = integer);
            CREATE EXTENSION "uuid-ossp" SCHEMA demo_ml;
            "#,
            alice = q(&alice),
            analysts = q(&analysts),
            sales = q(&sales),
            quote = q(&quote),
            long = q(&long),
            long_schema = q(&long_schema),
        ),
    )
    .await;

    let snap = read(&c).await;

    assert_eq!(snap.target, Target::Postgres);
    assert_eq!(snap.server.database, db);
    assert_eq!(snap.server.login, "postgres");
    assert!(snap.server.login_superuser);
    assert!(
        snap.server.version.starts_with("15."),
        "{}",
        snap.server.version
    );
    assert!(snap.objects_of(ObjectKind::Model).is_empty() && snap.create_model.is_empty());

    let mine: BTreeSet<&str> = [&alice, &analysts, &boss, &sales, &quote, &long]
        .into_iter()
        .map(String::as_str)
        .collect();
    let principals: Vec<_> = snap
        .principals
        .iter()
        .filter(|p| mine.contains(p.name.as_str()))
        .cloned()
        .collect();
    let info = |kind, name: &str, login, superuser| PrincipalInfo {
        kind,
        name: name.into(),
        login,
        superuser,
    };
    let mut expected = vec![
        info(PrincipalKind::User, &alice, true, false),
        info(PrincipalKind::Role, &analysts, false, false),
        info(PrincipalKind::User, &boss, true, true),
        info(PrincipalKind::Role, &sales, false, false),
        info(PrincipalKind::User, &quote, true, false),
        info(PrincipalKind::Role, &long, false, false),
    ];
    expected.sort();
    assert_eq!(principals, expected);
    // The bootstrap superuser and PostgreSQL's predefined roles are principals too.
    assert!(snap
        .principals
        .contains(&info(PrincipalKind::User, "postgres", true, true)));
    assert!(snap.principals.contains(&info(
        PrincipalKind::Role,
        "pg_database_owner",
        false,
        false
    )));

    let memberships: Vec<_> = snap
        .memberships
        .iter()
        .filter(|m| mine.contains(m.parent.name.as_str()) || mine.contains(m.member.name.as_str()))
        .cloned()
        .collect();
    let member = |pk, parent: &str, mk, m: &str| Membership {
        parent: Principal::new(pk, parent),
        member: Principal::new(mk, m),
    };
    let (r, u) = (PrincipalKind::Role, PrincipalKind::User);
    let mut expected = vec![
        member(r, &analysts, u, &alice),
        member(r, &analysts, u, &quote),
        member(r, &sales, r, &analysts),
        member(r, &long, u, &boss),
    ];
    expected.sort();
    assert_eq!(memberships, expected);

    let pg = user("postgres");
    let mut expected = vec![
        schema(
            "public",
            "pg_database_owner",
            vec![
                acl(role("pg_database_owner"), Create),
                acl(role("pg_database_owner"), Usage),
                acl(Grantee::Public, Usage),
            ],
        ),
        schema(
            "demo_ml",
            "postgres",
            vec![
                acl(pg.clone(), Create),
                acl(pg.clone(), Usage),
                acl(role(&analysts), Usage),
                acl_go(user(&alice), Create),
                acl_go(user(&alice), Usage),
                acl(Grantee::Public, Usage),
            ],
        ),
        schema(
            "Sales ML",
            &alice,
            vec![acl(user(&alice), Create), acl(user(&alice), Usage)],
        ),
        schema("a\"b", "postgres", vec![]),
        schema(
            "select",
            "postgres",
            vec![
                acl(pg.clone(), Create),
                acl(pg.clone(), Usage),
                acl(role(&sales), Create),
                acl(role(&sales), Usage),
                acl(user(&quote), Usage),
            ],
        ),
        schema(
            "données",
            &analysts,
            vec![acl(role(&analysts), Create), acl(role(&analysts), Usage)],
        ),
        schema(
            &long_schema,
            "postgres",
            vec![
                acl(pg.clone(), Create),
                acl(pg.clone(), Usage),
                acl(role(&long), Usage),
            ],
        ),
    ];
    expected.sort();
    assert_eq!(snap.objects_of(ObjectKind::Schema), expected);

    let mut expected = vec![
        // Default ACL (NULL): the owner and PUBLIC hold EXECUTE.
        function(
            "demo_ml",
            "f",
            "integer",
            "postgres",
            vec![acl(pg.clone(), Execute), acl(Grantee::Public, Execute)],
        ),
        // PUBLIC revoked: its EXECUTE is gone.
        function(
            "demo_ml",
            "f",
            "text, integer[]",
            "postgres",
            vec![acl(pg.clone(), Execute), acl_go(role(&analysts), Execute)],
        ),
        // Identity arguments only: OUT parameters are not part of them.
        function(
            "demo_ml",
            "g",
            "text",
            "postgres",
            vec![acl(pg.clone(), Execute), acl(Grantee::Public, Execute)],
        ),
        // Types outside pg_catalog are schema-qualified and quoted.
        function(
            "Sales ML",
            "a\"b",
            "\"données\".t, numeric[]",
            &alice,
            vec![acl(user(&alice), Execute), acl(Grantee::Public, Execute)],
        ),
        function(
            "select",
            "select",
            "",
            "postgres",
            vec![
                acl(pg.clone(), Execute),
                acl(Grantee::Public, Execute),
                acl(role(&long), Execute),
            ],
        ),
    ];
    expected.sort();
    assert_eq!(snap.objects_of(ObjectKind::Function), expected);

    // Deterministic and round-trips through the snapshot file format. Other tests of
    // this binary create roles meanwhile (roles are cluster-wide): both reads are
    // compared on this test's roles and the built-in ones only.
    let again = read(&c).await;
    let scoped = |snap: &Snapshot| {
        let keep =
            |name: &str| mine.contains(name) || name == "postgres" || name.starts_with("pg_");
        let mut s = snap.clone();
        s.principals.retain(|p| keep(&p.name));
        s.memberships
            .retain(|m| keep(&m.parent.name) && keep(&m.member.name));
        s
    };
    assert_eq!(scoped(&again), scoped(&snap));
    assert_eq!(scoped(&again).to_json(), scoped(&snap).to_json());
    assert_eq!(Snapshot::from_json(&snap.to_json()).unwrap(), snap);

    // The reader left no transaction open: the session is usable as before.
    exec(&c, "CREATE SCHEMA after_read").await;
}

/// ACLs arrive as text and are parsed by grantplan: grantee names holding every
/// character that is special in an ACL item or an array literal (`,` `=` `/` `"` `\`
/// `{` `}` `*`, spaces, a leading `group `) must read back as exactly those names, with
/// their login flag, on schemas and functions alike.
#[tokio::test]
async fn acl_text_with_hostile_grantee_names_reads_exactly() {
    let (_db, c) = fresh_db("hostile_acl").await;
    let names = [
        unique("a,b=c/d"),
        unique("q\"u\"\"o\\te"),
        unique("{br}*ace"),
        unique("group x"),
        unique("role"),
        unique(" lead"),
    ];
    let mut sql = String::from(
        "CREATE SCHEMA s; REVOKE ALL ON SCHEMA s FROM postgres;
         CREATE FUNCTION s.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
         REVOKE ALL ON FUNCTION s.f() FROM PUBLIC, postgres;\n",
    );
    for (i, n) in names.iter().enumerate() {
        let login = if i % 2 == 0 { "LOGIN" } else { "NOLOGIN" };
        let n = q(n);
        sql.push_str(&format!(
            "CREATE ROLE {n} {login};
             GRANT USAGE ON SCHEMA s TO {n};
             GRANT EXECUTE ON FUNCTION s.f() TO {n} WITH GRANT OPTION;\n"
        ));
    }
    exec(&c, &sql).await;
    let snap = read(&c).await;

    let grantee = |i: usize| {
        if i.is_multiple_of(2) {
            user(&names[i])
        } else {
            role(&names[i])
        }
    };
    let expected = schema(
        "s",
        "postgres",
        (0..names.len()).map(|i| acl(grantee(i), Usage)).collect(),
    );
    let got = snap
        .objects_of(ObjectKind::Schema)
        .iter()
        .find(|s| s.parts().first == "s")
        .unwrap();
    assert_eq!(got, &expected);
    let expected = function(
        "s",
        "f",
        "",
        "postgres",
        (0..names.len())
            .map(|i| acl_go(grantee(i), Execute))
            .collect(),
    );
    assert_eq!(snap.objects_of(ObjectKind::Function), [expected]);
}

fn default(role: &str, schema: Option<&str>, of: ObjectKind, mut grants: Vec<Acl>) -> DefaultInfo {
    grants.sort();
    DefaultInfo {
        role: role.into(),
        schema: schema.map(str::to_string),
        of,
        grants,
    }
}

/// Default privileges as `pg_default_acl` keeps them after ALTER DEFAULT PRIVILEGES
/// (docs/research/postgres-default-privileges.md): a global entry is the whole default,
/// the role's own privileges included; a per-schema entry holds only what it adds; a
/// revoke from PUBLIC leaves PUBLIC out; an entry brought back to the built-in default is
/// deleted, so absent; functions and procedures are one entry (`function`); types and
/// schemas are not read. Role and schema names come back unquoted, however hostile.
#[tokio::test]
async fn default_privileges_read_as_the_server_keeps_them() {
    let (_db, c) = fresh_db("defaults").await;
    let etl = unique("etl"); // login: a user
    let an = unique("an"); // nologin: a role
    let odd = unique("we\"ird; select ü"); // quote, `;`, a keyword, unicode
    let odd_schema = "a\"b; table ü";
    exec(
        &c,
        &format!(
            "CREATE ROLE {etl} LOGIN;
             CREATE ROLE {an} NOLOGIN;
             CREATE ROLE {odd} NOLOGIN;
             CREATE SCHEMA s;
             CREATE SCHEMA {odd_schema};
             ALTER DEFAULT PRIVILEGES FOR ROLE {etl} GRANT SELECT ON TABLES TO {an};
             ALTER DEFAULT PRIVILEGES FOR ROLE {etl} IN SCHEMA s GRANT INSERT ON TABLES TO {an};
             ALTER DEFAULT PRIVILEGES FOR ROLE {etl} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
             ALTER DEFAULT PRIVILEGES FOR ROLE {etl} IN SCHEMA s
                 GRANT USAGE, SELECT ON SEQUENCES TO {odd} WITH GRANT OPTION;
             ALTER DEFAULT PRIVILEGES FOR ROLE {odd} IN SCHEMA {odd_schema}
                 GRANT EXECUTE ON ROUTINES TO {an};
             ALTER DEFAULT PRIVILEGES FOR ROLE {odd} GRANT UPDATE ON SEQUENCES TO PUBLIC;
             -- Types and schemas: kept by the server, not read.
             ALTER DEFAULT PRIVILEGES FOR ROLE {odd} REVOKE USAGE ON TYPES FROM PUBLIC;
             ALTER DEFAULT PRIVILEGES FOR ROLE {odd} GRANT USAGE ON SCHEMAS TO {an};
             -- Back to the built-in default: the entry is deleted.
             ALTER DEFAULT PRIVILEGES FOR ROLE {an} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
             ALTER DEFAULT PRIVILEGES FOR ROLE {an} GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
             -- A role's own privileges revoked: an entry with nothing in it.
             ALTER DEFAULT PRIVILEGES FOR ROLE {an} REVOKE ALL ON TABLES FROM {an};",
            etl = q(&etl),
            an = q(&an),
            odd = q(&odd),
            odd_schema = q(odd_schema),
        ),
    )
    .await;
    // What the server holds, for the failure message: types (T) and schemas (n) rows
    // are there.
    let held: Vec<String> = c
        .query(
            "SELECT defaclrole::regrole::text || ' ' || defaclnamespace::regnamespace::text \
             || ' ' || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(held.len(), 9, "{held:#?}");

    let snap = read(&c).await;
    let table_owner = [Privilege::Select, Privilege::Insert, Privilege::Update]
        .into_iter()
        .chain([Privilege::Delete, Privilege::Truncate])
        .chain([Privilege::References, Privilege::Trigger])
        .map(|p| acl(user(&etl), p));
    let mut expected = vec![
        default(
            &etl,
            None,
            ObjectKind::Table,
            table_owner
                .chain([acl(role(&an), Privilege::Select)])
                .collect(),
        ),
        default(
            &etl,
            Some("s"),
            ObjectKind::Table,
            vec![acl(role(&an), Privilege::Insert)],
        ),
        // The revoke from PUBLIC leaves only the role's own EXECUTE.
        default(
            &etl,
            None,
            ObjectKind::Function,
            vec![acl(user(&etl), Execute)],
        ),
        default(
            &etl,
            Some("s"),
            ObjectKind::Sequence,
            vec![
                acl_go(role(&odd), Usage),
                acl_go(role(&odd), Privilege::Select),
            ],
        ),
        // ON ROUTINES is the same entry as ON FUNCTIONS.
        default(
            &odd,
            Some(odd_schema),
            ObjectKind::Function,
            vec![acl(role(&an), Execute)],
        ),
        default(
            &odd,
            None,
            ObjectKind::Sequence,
            vec![
                acl(role(&odd), Usage),
                acl(role(&odd), Privilege::Select),
                acl(role(&odd), Privilege::Update),
                acl(Grantee::Public, Privilege::Update),
            ],
        ),
        default(&an, None, ObjectKind::Table, vec![]),
    ];
    expected.sort();
    assert_eq!(snap.default_privileges, expected, "server holds {held:#?}");

    // Through the snapshot file and back.
    let json = snap.to_json();
    assert!(json.contains("\"default_privileges\""), "{json}");
    assert_eq!(Snapshot::from_json(&json).unwrap(), snap);
}

/// `read_with` reports each query as it starts and its row count as rows arrive; the
/// last report of a step is its whole row count. A read inside a caller's transaction
/// reports the same steps and reads the same catalog.
#[tokio::test]
async fn progress_names_each_query_and_counts_its_rows() {
    let (_db, c) = fresh_db("progress").await;
    let mut sql = String::new();
    for i in 0..30 {
        sql.push_str(&format!(
            "CREATE SCHEMA s{i};
             CREATE FUNCTION s{i}.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION s{i}.f(text) RETURNS integer LANGUAGE sql AS 'SELECT 1';\n"
        ));
    }
    exec(&c, &sql).await;

    let seen = std::sync::Mutex::new(Vec::<Progress>::new());
    let record = |p: Progress| seen.lock().unwrap().push(p);
    let snap = postgres::read_with(&c, &record).await.unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());

    let mut steps: Vec<&str> = seen.iter().map(|p| p.step).collect();
    steps.dedup();
    assert_eq!(steps, STEPS, "{seen:?}");
    let last = |step: &str| seen.iter().rev().find(|p| p.step == step).unwrap().rows;
    let first = |step: &str| seen.iter().find(|p| p.step == step).unwrap().rows;
    for step in steps {
        assert_eq!(first(step), 0, "{step} starts at 0 rows: {seen:?}");
    }
    assert_eq!(last("server"), 1);
    assert_eq!(last("roles"), snap.principals.len() as u64);
    assert_eq!(last("schemas"), 31); // s0..s29 and public
    assert_eq!(last("functions"), 60);
    assert_eq!(snap.objects_of(ObjectKind::Function).len(), 60);
    assert_eq!(last("relations"), 0);
    assert_eq!(last("default privileges"), 0);
    assert!(snap.default_privileges.is_empty());

    exec(&c, "BEGIN").await;
    let seen = std::sync::Mutex::new(Vec::<&str>::new());
    let inside =
        postgres::read_in_transaction_with(&c, &|p: Progress| seen.lock().unwrap().push(p.step))
            .await
            .unwrap();
    exec(&c, "ROLLBACK").await;
    let mut steps = seen.into_inner().unwrap();
    steps.dedup();
    assert_eq!(steps, STEPS);
    // Roles are cluster-wide and other tests create some meanwhile: compare this
    // database's own objects.
    assert_eq!(
        inside.objects_of(ObjectKind::Schema),
        snap.objects_of(ObjectKind::Schema)
    );
    assert_eq!(
        inside.objects_of(ObjectKind::Function),
        snap.objects_of(ObjectKind::Function)
    );
}

#[tokio::test]
async fn a_login_that_is_not_superuser_reads_too() {
    let s = common::server();
    let (db, c) = fresh_db("nonsuper").await;
    let reader = unique("reader");
    exec(&c, &format!("CREATE ROLE {} LOGIN", q(&reader))).await;
    exec(
        &c,
        &format!("CREATE SCHEMA s; GRANT USAGE ON SCHEMA s TO {}", q(&reader)),
    )
    .await;

    let rc = common::connect(&s.url(&db, &reader)).await;
    let snap = read(&rc).await;
    assert_eq!(snap.server.login, reader);
    assert_eq!(snap.server.database, db);
    assert!(!snap.server.login_superuser);
    let s_schema = snap
        .objects_of(ObjectKind::Schema)
        .iter()
        .find(|s| s.parts().first == "s")
        .unwrap();
    let mut expected = vec![
        acl(user(&reader), Usage),
        acl(user("postgres"), Create),
        acl(user("postgres"), Usage),
    ];
    expected.sort();
    assert_eq!(s_schema.grants, expected);
}

/// Counts, on the server, the statements a read executes (pg_stat_statements, preloaded
/// by the harness), on a nearly empty catalog and on one with 200 more schemas and 400
/// more functions. One query per object would make the second count grow.
#[tokio::test]
async fn the_number_of_statements_does_not_depend_on_the_catalog_size() {
    let s = common::server();
    let (db, c) = fresh_db("count").await;
    // The extension's own functions are in `public`; being extension members, they must
    // not be reported.
    exec(&c, "CREATE EXTENSION pg_stat_statements").await;
    let reader = unique("counted_reader");
    exec(&c, &format!("CREATE ROLE {} LOGIN SUPERUSER", q(&reader))).await;
    let group = unique("grp");
    exec(&c, &format!("CREATE ROLE {}", q(&group))).await;

    // Statements run by `reader` in this database, as seen by the server.
    let counted = || async {
        let row = c
            .query_one(
                "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s \
                 WHERE s.userid = (SELECT oid FROM pg_roles WHERE rolname = $1) \
                 AND s.dbid = (SELECT oid FROM pg_database WHERE datname = $2)",
                &[&reader, &db],
            )
            .await
            .unwrap_or_else(|e| panic!("{}", common::describe(&e)));
        row.get::<_, i64>(0)
    };

    let rc = common::connect(&s.url(&db, &reader)).await;
    let before = counted().await;
    let small = read(&rc).await;
    let small_count = counted().await - before;

    let mut sql = String::new();
    for i in 0..200 {
        sql.push_str(&format!(
            "CREATE SCHEMA s{i};
             GRANT USAGE ON SCHEMA s{i} TO {g};
             CREATE FUNCTION s{i}.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION s{i}.f(text) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             GRANT EXECUTE ON FUNCTION s{i}.f(text) TO {g};\n",
            g = q(&group)
        ));
    }
    exec(&c, &sql).await;

    let before = counted().await;
    let big = read(&rc).await;
    let big_count = counted().await - before;

    // BEGIN, SET LOCAL search_path, the queries, COMMIT.
    let expected = (QUERIES.len() + 3) as i64;
    assert_eq!(small_count, expected, "statements for a small catalog");
    assert_eq!(big_count, expected, "statements for a large catalog");

    assert_eq!(
        small.objects_of(ObjectKind::Schema).len(),
        1,
        "{:?}",
        small.objects_of(ObjectKind::Schema)
    ); // public
    assert!(
        small.objects_of(ObjectKind::Function).is_empty(),
        "{:?}",
        small.objects_of(ObjectKind::Function)
    );
    assert_eq!(big.objects_of(ObjectKind::Schema).len(), 201);
    assert_eq!(big.objects_of(ObjectKind::Function).len(), 400);
    let f = big
        .objects_of(ObjectKind::Function)
        .iter()
        .find(|f| f.parts().first == "s137" && f.parts().args == Some("text"))
        .unwrap();
    assert!(f.grants.contains(&acl(role(&group), Execute)), "{f:?}");
}

#[tokio::test]
async fn server_errors_carry_sqlstate_message_and_hint() {
    let s = common::server();
    let (db, c) = fresh_db("errors").await;

    // A catalog locked down in this database: the reader's first query is refused
    // inside its transaction, and the error carries the server's own words.
    let reader = unique("locked_out");
    exec(
        &c,
        &format!(
            "CREATE ROLE {} LOGIN; REVOKE SELECT ON pg_catalog.pg_roles FROM PUBLIC",
            q(&reader)
        ),
    )
    .await;
    let rc = common::connect(&s.url(&db, &reader)).await;
    let err = postgres::read(&rc).await.unwrap_err();
    assert!(
        matches!(err, ReadError::Query { what: "server", .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("42501"), "{msg}");
    assert!(msg.contains("permission denied for view pg_roles"), "{msg}");
    assert!(!msg.ends_with("db error"), "{msg}");
    let ReadError::Query { source, .. } = &err else {
        unreachable!("{err:?}")
    };
    assert_eq!(
        source.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    // The reader rolled its transaction back: the session works as before.
    rc.batch_execute("SELECT 1").await.unwrap();

    // Called inside a caller's failed transaction, BEGIN itself fails; the reader opened
    // nothing, so it leaves the caller's transaction alone.
    exec(&c, "BEGIN").await;
    assert!(c.batch_execute("SELECT 1/0").await.is_err());
    let err = postgres::read(&c).await.unwrap_err();
    assert!(
        matches!(err, ReadError::Query { what: "begin", .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("25P02"), "{msg}");
    assert!(msg.contains("current transaction is aborted"), "{msg}");
    exec(&c, "ROLLBACK; SELECT 1").await;

    let e = c
        .simple_query("SELECT rolnam FROM pg_roles")
        .await
        .unwrap_err();
    let msg = postgres::describe_error(&e);
    assert!(
        msg.starts_with("ERROR 42703: column \"rolnam\" does not exist"),
        "{msg}"
    );
    assert!(msg.contains("hint: Perhaps you meant"), "{msg}");
    assert!(msg.contains("at character 8"), "{msg}");
}

/// The harness's watchdog: a test process that exits (or is killed) leaves no server
/// and no directory behind. Runs this very test binary as a child, see
/// [`watchdog_child`].
#[test]
fn the_server_is_stopped_and_removed_when_the_test_process_ends() {
    for how in ["exit", "kill"] {
        let exe = std::env::current_exe().unwrap();
        let mut child = std::process::Command::new(exe)
            .args([
                "watchdog_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GRANTPLAN_WATCHDOG_CHILD", how)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let (dir, port) = loop {
            line.clear();
            let n = std::io::BufRead::read_line(&mut out, &mut line).unwrap();
            assert!(
                n > 0,
                "the child exited without reporting its server ({how})"
            );
            // libtest prints `test watchdog_child ... ` on the same line.
            if let Some((_, rest)) = line.trim().split_once("WATCHDOG_CHILD ") {
                let (dir, port) = rest.rsplit_once(' ').unwrap();
                break (std::path::PathBuf::from(dir), port.parse::<u16>().unwrap());
            }
        };
        assert!(
            dir.join("data/postmaster.pid").exists(),
            "{}",
            dir.display()
        );
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        if how == "kill" {
            child.kill().unwrap(); // SIGKILL: no unwinding, no destructors, no atexit
        }
        let status = child.wait().unwrap();
        assert_eq!(status.success(), how == "exit", "{status:?}");

        let deadline = Instant::now() + Duration::from_secs(30);
        while dir.exists() || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "server at {} (port {port}) still there 30 s after the test process ended ({how})",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Not a test on its own: [`the_server_is_stopped_and_removed_when_the_test_process_ends`]
/// runs it in a child process, where it starts the server, reports it, and then exits
/// normally or waits to be killed.
#[test]
fn watchdog_child() {
    let Ok(how) = std::env::var("GRANTPLAN_WATCHDOG_CHILD") else {
        return;
    };
    let s = common::server();
    println!("WATCHDOG_CHILD {} {}", s.dir().display(), s.port());
    if how == "kill" {
        std::thread::sleep(Duration::from_secs(120));
        panic!("the parent should have killed this process");
    }
}

/// grantplan's copy of PostgreSQL's keyword table (what it quotes) is the server's own:
/// every word `pg_get_keywords()` lists, in every category, and nothing else.
#[tokio::test]
async fn the_postgres_keyword_list_is_the_servers() {
    let (_db, c) = fresh_db("keywords").await;
    let server: BTreeSet<String> = c
        .query("SELECT upper(word) FROM pg_get_keywords()", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let ours: BTreeSet<String> = grantplan::keywords::POSTGRES
        .iter()
        .map(|w| w.to_string())
        .collect();
    assert_eq!(
        ours.len(),
        grantplan::keywords::POSTGRES.len(),
        "no duplicates"
    );
    assert_eq!(
        ours.symmetric_difference(&server).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "words in one list only"
    );
}
