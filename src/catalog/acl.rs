//! ACL text as Redshift (and PostgreSQL) print an `aclitem[]` cast to text:
//! `{"group analysts=U/rdsdb",=U/rdsdb,alice=UC*/rdsdb}`.
//!
//! Why parse text at all: Redshift's `svv_language_privileges` is the documented source of
//! CREATE MODEL grants, but AWS's own sample (`aws-samples/redshift-roles`) reads group
//! grants of CREATE MODEL from `pg_language.lanacl` for the `mlfunc` language, so the
//! Redshift reader reads both and takes the union. The ACL cannot be fetched as `aclitem`
//! (no binary output function, and Redshift's items carry a `group ` prefix PostgreSQL's
//! type does not know), so it is cast to text in SQL and parsed here.
//!
//! Two layers of quoting, both undone here:
//! 1. the array literal: an element is wrapped in `"` when it holds a space, `,`, `"`,
//!    `\`, `{` or `}`, with `\` escaping the next character inside;
//! 2. the item: a grantee name that is not a plain identifier is wrapped in `"` with `"`
//!    doubled (`"Sales ML"=U/rdsdb`).
//!
//! An item is `[group |role ]GRANTEE=PRIVS/GRANTOR`; an empty grantee is PUBLIC; each
//! privilege letter may be followed by `*` (held with grant option).

use crate::model::{Grantee, PrincipalKind};
use std::borrow::Cow;

/// One ACL entry: who holds which privilege letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclItem {
    pub grantee: Grantee,
    /// `(letter, with_grant_option)`, in the order written (`U`, `C`, `X`, ...).
    pub privileges: Vec<(char, bool)>,
    pub grantor: String,
}

impl AclItem {
    /// Whether the item holds privilege `letter` (with or without grant option).
    pub fn holds(&self, letter: char) -> bool {
        self.privileges.iter().any(|(l, _)| *l == letter)
    }
}

/// One ACL entry borrowed from the text it was parsed from (owned only where quoting had
/// to be undone). What [`for_each_entry`] hands out: the PostgreSQL reader parses one
/// entry per privilege held in the catalog, and allocating four times per entry (as
/// [`AclItem`] does) was most of its client-side time on a large catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// `group ` or `role ` prefix (Redshift); `None` when there is none.
    pub kind: Option<PrincipalKind>,
    /// The grantee's name, unquoted; empty for PUBLIC.
    pub grantee: Cow<'a, str>,
    /// The privilege letters as written, each optionally followed by `*` (checked).
    pub letters: &'a str,
    pub grantor: Cow<'a, str>,
}

impl Entry<'_> {
    /// `(letter, with_grant_option)` for each privilege, in the order written.
    pub fn privileges(&self) -> impl Iterator<Item = (char, bool)> + '_ {
        let mut chars = self.letters.chars().peekable();
        std::iter::from_fn(move || {
            let c = chars.next()?;
            let grant_option = chars.next_if_eq(&'*').is_some();
            Some((c, grant_option))
        })
    }

    /// PUBLIC, or the named principal (of `kind`, or `default_kind` without a prefix).
    pub fn grantee(&self, default_kind: PrincipalKind) -> Grantee {
        if self.grantee.is_empty() {
            Grantee::Public
        } else {
            Grantee::principal(
                self.kind.unwrap_or(default_kind),
                self.grantee.clone().into_owned(),
            )
        }
    }
}

/// Why an ACL's text could not be read. The text (or the item) is carried so the message
/// quotes it, as the catalog readers print it inside their own "unexpected" error; the
/// variant says what was wrong, for tests and callers that branch on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// An array literal without its `{`…`}` (text trimmed).
    #[error("`{text}` is not an array literal (no surrounding braces)")]
    NotAnArray { text: String },
    /// A `"`-quoted array element that never closes.
    #[error("unterminated quoted element in `{text}`")]
    UnterminatedElement { text: String },
    /// A `\` at the very end of a quoted array element.
    #[error("dangling `\\` in `{text}`")]
    DanglingBackslash { text: String },
    /// Something other than `,` after a quoted array element.
    #[error("`{found}` after a quoted element in `{text}` (expected `,`)")]
    AfterQuotedElement { found: char, text: String },
    /// A NULL array element (an ACL never holds one).
    #[error("NULL element in ACL `{text}`")]
    NullElement { text: String },
    /// The joined form with an odd number of `"`.
    #[error("a quoted name is not closed in `{text}`")]
    UnclosedQuote { text: String },
    /// One item (array quoting already undone) is malformed.
    #[error("ACL item `{item}`: {why}")]
    Item { item: String, why: ItemError },
}

/// What is wrong with one `[group |role ]GRANTEE=PRIVS/GRANTOR` item; the message is the
/// part after `ACL item `…`: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("expected `=` after the grantee")]
    NoEquals,
    #[error("expected `/GRANTOR` after the privileges")]
    NoGrantor,
    #[error("`{0}` is not a privilege letter")]
    NotALetter(char),
    #[error("unexpected `{0}` after the grantor")]
    AfterGrantor(String),
    #[error("a group or role entry without a name")]
    NamelessGroupOrRole,
    #[error("a quoted name is not closed")]
    UnclosedName,
}

/// Parses an ACL as text: an array literal (`{a=U/x,"group g=U/x"}`, the array cast to
/// text) or its items joined by `,` (`a=U/x,group g=U/x`, what `array_to_string(acl, ',')`
/// gives, which Redshift's own samples use). `""` and `{}` are an empty ACL.
pub fn parse_acl(text: &str) -> Result<Vec<AclItem>, AclError> {
    let mut items = Vec::new();
    for_each_entry(text, |e| {
        items.push(AclItem {
            grantee: e.grantee(PrincipalKind::User),
            privileges: e.privileges().collect(),
            grantor: e.grantor.into_owned(),
        });
        Ok(())
    })?;
    Ok(items)
}

/// Calls `f` with each entry of an ACL as text (either form [`parse_acl`] reads), in the
/// order written, without allocating for entries that needed no unquoting. Stops at the
/// first error, from the text or from `f`. The error type is the callback's, so its own
/// errors come back as they were; the text's are converted from [`AclError`].
pub fn for_each_entry<'t, E: From<AclError>>(
    text: &'t str,
    mut f: impl FnMut(Entry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut each = |element: Cow<'t, str>| -> Result<(), E> {
        let entry = parse_entry(&element).map_err(|why| AclError::Item {
            item: element.to_string(),
            why,
        })?;
        f(entry)
    };
    if text.trim_start().starts_with('{') {
        array_elements(text, &mut each)
    } else {
        joined_items(text, &mut each)
    }
}

/// The elements of a one-dimensional array literal, unquoted.
fn array_elements<'t, E: From<AclError>>(
    text: &'t str,
    f: &mut dyn FnMut(Cow<'t, str>) -> Result<(), E>,
) -> Result<(), E> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| AclError::NotAnArray { text: text.into() })?;
    let mut rest = inner;
    while !rest.is_empty() {
        let element;
        if let Some(quoted) = rest.strip_prefix('"') {
            // Scanning bytes is safe: `\` and `"` never occur inside a UTF-8 sequence.
            let bytes = quoted.as_bytes();
            let (mut i, mut start) = (0, 0);
            let mut owned: Option<String> = None;
            loop {
                match bytes.get(i) {
                    None => return Err(AclError::UnterminatedElement { text: text.into() }.into()),
                    Some(b'\\') => {
                        let c = quoted[i + 1..]
                            .chars()
                            .next()
                            .ok_or_else(|| AclError::DanglingBackslash { text: text.into() })?;
                        let o = owned.get_or_insert_with(String::new);
                        o.push_str(&quoted[start..i]);
                        o.push(c);
                        i += 1 + c.len_utf8();
                        start = i;
                    }
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            element = match owned {
                Some(mut o) => {
                    o.push_str(&quoted[start..i]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&quoted[..i]),
            };
            rest = &quoted[i + 1..];
            match rest.chars().next() {
                None => {}
                Some(',') => rest = &rest[1..],
                Some(c) => {
                    return Err(AclError::AfterQuotedElement {
                        found: c,
                        text: text.into(),
                    }
                    .into())
                }
            }
        } else {
            let (e, r) = rest.split_once(',').unwrap_or((rest, ""));
            if e == "NULL" {
                return Err(AclError::NullElement { text: text.into() }.into());
            }
            element = Cow::Borrowed(e);
            rest = r;
        }
        f(element)?;
    }
    Ok(())
}

/// Items joined by `,`. A `,` inside a name is inside the item's own `"` quotes (names
/// that are not plain identifiers are always quoted), so only commas outside quotes
/// separate items.
fn joined_items<'t, E: From<AclError>>(
    text: &'t str,
    f: &mut dyn FnMut(Cow<'t, str>) -> Result<(), E>,
) -> Result<(), E> {
    if text.trim().is_empty() {
        return Ok(());
    }
    // An unclosed quote is checked first, so no item of a malformed ACL is handed out.
    if text.bytes().filter(|&b| b == b'"').count() % 2 == 1 {
        return Err(AclError::UnclosedQuote { text: text.into() }.into());
    }
    let mut quoted = false;
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            // A doubled `""` inside quotes toggles twice: still inside.
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                f(Cow::Borrowed(&text[start..i]))?;
                start = i + 1;
            }
            _ => {}
        }
    }
    f(Cow::Borrowed(&text[start..]))
}

/// One `[group |role ]GRANTEE=PRIVS/GRANTOR` item.
fn parse_entry(item: &str) -> Result<Entry<'_>, ItemError> {
    let (kind, rest) = if let Some(r) = item.strip_prefix("group ") {
        (Some(PrincipalKind::Group), r)
    } else if let Some(r) = item.strip_prefix("role ") {
        (Some(PrincipalKind::Role), r)
    } else {
        (None, item)
    };
    let (name, rest) = identifier(rest)?;
    let rest = rest.strip_prefix('=').ok_or(ItemError::NoEquals)?;
    let (letters, grantor) = rest.split_once('/').ok_or(ItemError::NoGrantor)?;
    let mut chars = letters.chars();
    while let Some(c) = chars.next() {
        if !c.is_ascii_alphabetic() {
            return Err(ItemError::NotALetter(c));
        }
        if chars.as_str().starts_with('*') {
            chars.next();
        }
    }
    let (grantor, tail) = identifier(grantor)?;
    if !tail.is_empty() {
        return Err(ItemError::AfterGrantor(tail.into()));
    }
    if kind.is_some() && name.is_empty() {
        return Err(ItemError::NamelessGroupOrRole);
    }
    Ok(Entry {
        kind,
        grantee: name,
        letters,
        grantor,
    })
}

/// A name at the start of `s`, plain or in `"` with `""` for `"`; returns it and the rest.
fn identifier(s: &str) -> Result<(Cow<'_, str>, &str), ItemError> {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut owned: Option<String> = None;
        let mut start = 0;
        let bytes = quoted.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    // `""` is one `"`: keep the first, skip the second.
                    owned
                        .get_or_insert_with(String::new)
                        .push_str(&quoted[start..=i]);
                    i += 2;
                    start = i;
                    continue;
                }
                let name = match owned {
                    Some(mut o) => {
                        o.push_str(&quoted[start..i]);
                        Cow::Owned(o)
                    }
                    None => Cow::Borrowed(&quoted[..i]),
                };
                return Ok((name, &quoted[i + 1..]));
            }
            i += 1;
        }
        Err(ItemError::UnclosedName)
    } else {
        let end = s.find(['=', '/']).unwrap_or(s.len());
        Ok((Cow::Borrowed(&s[..end]), &s[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grantees(text: &str) -> Vec<String> {
        parse_acl(text)
            .unwrap()
            .into_iter()
            .map(|i| i.grantee.to_string())
            .collect()
    }

    #[test]
    fn redshift_language_acl_with_groups_users_and_public() {
        let items =
            parse_acl(r#"{rdsdb=U/rdsdb,"group retention_analyst_grp=U/rdsdb",=U/rdsdb}"#).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0].grantee,
            Grantee::principal(PrincipalKind::User, "rdsdb")
        );
        assert_eq!(
            items[1].grantee,
            Grantee::principal(PrincipalKind::Group, "retention_analyst_grp")
        );
        assert!(items[1].holds('U'));
        assert_eq!(items[1].grantor, "rdsdb");
        assert_eq!(items[2].grantee, Grantee::Public);
    }

    #[test]
    fn both_quoting_layers_are_undone() {
        // Item layer: "Sales ML" and a"b (doubled); array layer: \" and \\ escapes.
        let text =
            r#"{"group \"Sales ML\"=U/rdsdb","\"a\"\"b\"=U*C/\"x y\"","role ml_admin=U/rdsdb"}"#;
        let items = parse_acl(text).unwrap();
        assert_eq!(
            items[0].grantee,
            Grantee::principal(PrincipalKind::Group, "Sales ML")
        );
        assert_eq!(
            items[1].grantee,
            Grantee::principal(PrincipalKind::User, "a\"b")
        );
        assert_eq!(items[1].privileges, [('U', true), ('C', false)]);
        assert_eq!(items[1].grantor, "x y");
        assert_eq!(
            items[2].grantee,
            Grantee::principal(PrincipalKind::Role, "ml_admin")
        );
    }

    #[test]
    fn array_to_string_form_splits_only_outside_quotes() {
        let items = parse_acl(
            r#"rdsdb=U/rdsdb,group retention_analyst_grp=U/rdsdb,group "a,""b"=U/rdsdb,=U/rdsdb"#,
        )
        .unwrap();
        let g: Vec<_> = items.iter().map(|i| i.grantee.to_string()).collect();
        assert_eq!(
            g,
            [
                "user:rdsdb",
                "group:retention_analyst_grp",
                "group:a,\"b",
                "public"
            ]
        );
        assert!(parse_acl(r#"group "a=U/x"#).is_err());
        assert!(parse_acl("  ").unwrap().is_empty());
    }

    #[test]
    fn entries_borrow_unless_quoting_was_undone() {
        let mut seen = Vec::new();
        for_each_entry(
            r#"{=X/o,"\"a\"\"b\"=X*/o","group g=U/o",pg=XU*/"q r"}"#,
            |e| {
                seen.push((
                    e.kind,
                    matches!(e.grantee, Cow::Borrowed(_)),
                    e.grantee.to_string(),
                    e.privileges().collect::<Vec<_>>(),
                    e.grantor.to_string(),
                ));
                Ok::<(), AclError>(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            [
                (None, true, "".into(), vec![('X', false)], "o".into()),
                (None, false, "a\"b".into(), vec![('X', true)], "o".into()),
                (
                    Some(PrincipalKind::Group),
                    true,
                    "g".into(),
                    vec![('U', false)],
                    "o".into()
                ),
                (
                    None,
                    true,
                    "pg".into(),
                    vec![('X', false), ('U', true)],
                    "q r".into()
                ),
            ]
        );
        // An error from the callback stops the walk and is returned as is.
        #[derive(Debug, PartialEq)]
        enum Walk {
            Stop,
            Acl(AclError),
        }
        impl From<AclError> for Walk {
            fn from(e: AclError) -> Walk {
                Walk::Acl(e)
            }
        }
        let mut n = 0;
        let e = for_each_entry("a=X/o,b=X/o,c=X/o", |_| {
            n += 1;
            if n == 2 {
                Err(Walk::Stop)
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!((e, n), (Walk::Stop, 2));
        // An error in the text comes back converted, after the entries before it.
        let mut n = 0;
        let e = for_each_entry("a=X/o,b=X", |_| {
            n += 1;
            Ok::<(), Walk>(())
        })
        .unwrap_err();
        let item = AclError::Item {
            item: "b=X".into(),
            why: ItemError::NoGrantor,
        };
        assert_eq!((e, n), (Walk::Acl(item), 1));
    }

    #[test]
    fn joined_and_array_forms_give_the_same_entries() {
        // The same ACL as PostgreSQL prints it both ways (`::text` and
        // `array_to_string(acl, ',')`) for names with every special character.
        let array = r#"{"\"a,b=c/d\"=X/postgres","\"q\"\"u\\o\"=X*/postgres","\"{b}*\"=X/postgres",=X/postgres}"#;
        let joined = r#""a,b=c/d"=X/postgres,"q""u\o"=X*/postgres,"{b}*"=X/postgres,=X/postgres"#;
        let a = parse_acl(array).unwrap();
        assert_eq!(a, parse_acl(joined).unwrap());
        let g: Vec<_> = a.iter().map(|i| i.grantee.to_string()).collect();
        assert_eq!(g, ["user:a,b=c/d", "user:q\"u\\o", "user:{b}*", "public"]);
    }

    #[test]
    fn empty_acls_are_empty() {
        assert!(parse_acl("").unwrap().is_empty());
        assert!(parse_acl("{}").unwrap().is_empty());
        assert_eq!(grantees("{=X/owner}"), ["public"]);
    }

    #[test]
    fn malformed_acls_are_errors_that_quote_the_text() {
        for bad in [
            "group =U/rdsdb",
            "{\"group a=U/rdsdb}",
            "{a/U}",
            "{a=U}",
            "{\"group =U/x\"}",
            "{a=1/x}",
            "{NULL}",
            "{\"\\\"a=U/x\"}",
        ] {
            let e = parse_acl(bad).unwrap_err().to_string();
            assert!(!e.is_empty(), "{bad}");
        }
        let e = parse_acl("{a=U}").unwrap_err();
        assert!(e.to_string().contains("`a=U`"), "{e}");
        assert_eq!(
            e,
            AclError::Item {
                item: "a=U".into(),
                why: ItemError::NoGrantor
            }
        );
    }

    #[test]
    fn each_malformation_has_its_variant_and_message() {
        let cases: [(&str, AclError, &str); 6] = [
            (
                "{\"a=U/x}",
                AclError::UnterminatedElement {
                    text: "{\"a=U/x}".into(),
                },
                "unterminated quoted element in `{\"a=U/x}`",
            ),
            (
                "{\"a=U/x\"b}",
                AclError::AfterQuotedElement {
                    found: 'b',
                    text: "{\"a=U/x\"b}".into(),
                },
                "`b` after a quoted element in `{\"a=U/x\"b}` (expected `,`)",
            ),
            (
                "{NULL}",
                AclError::NullElement {
                    text: "{NULL}".into(),
                },
                "NULL element in ACL `{NULL}`",
            ),
            (
                "\"a=U/x",
                AclError::UnclosedQuote {
                    text: "\"a=U/x".into(),
                },
                "a quoted name is not closed in `\"a=U/x`",
            ),
            (
                "{a=1/x}",
                AclError::Item {
                    item: "a=1/x".into(),
                    why: ItemError::NotALetter('1'),
                },
                "ACL item `a=1/x`: `1` is not a privilege letter",
            ),
            (
                "group =U/x",
                AclError::Item {
                    item: "group =U/x".into(),
                    why: ItemError::NamelessGroupOrRole,
                },
                "ACL item `group =U/x`: a group or role entry without a name",
            ),
        ];
        for (text, want, message) in &cases {
            let e = parse_acl(text).unwrap_err();
            assert_eq!(&e, want, "{text}");
            assert_eq!(e.to_string(), *message);
        }
        // Not an array: `{` starts it but it does not end in `}`; the text is trimmed.
        let e = parse_acl(" {a=U/x ").unwrap_err();
        assert_eq!(
            e,
            AclError::NotAnArray {
                text: "{a=U/x".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "`{a=U/x` is not an array literal (no surrounding braces)"
        );
    }
}
