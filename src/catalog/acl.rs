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

/// Parses an ACL as text: an array literal (`{a=U/x,"group g=U/x"}`, the array cast to
/// text) or its items joined by `,` (`a=U/x,group g=U/x`, what `array_to_string(acl, ',')`
/// gives, which Redshift's own samples use). `""` and `{}` are an empty ACL.
pub fn parse_acl(text: &str) -> Result<Vec<AclItem>, String> {
    let elements = if text.trim_start().starts_with('{') {
        array_elements(text)?
    } else {
        joined_items(text)?
    };
    elements
        .iter()
        .map(|e| parse_item(e).map_err(|why| format!("ACL item `{e}`: {why}")))
        .collect()
}

/// The elements of a one-dimensional array literal, unquoted.
fn array_elements(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(|| format!("`{text}` is not an array literal (no surrounding braces)"))?;
    let mut elements = Vec::new();
    let mut chars = inner.chars().peekable();
    while chars.peek().is_some() {
        let mut element = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted element in `{text}`")),
                    Some('\\') => match chars.next() {
                        Some(c) => element.push(c),
                        None => return Err(format!("dangling `\\` in `{text}`")),
                    },
                    Some('"') => break,
                    Some(c) => element.push(c),
                }
            }
            match chars.next() {
                None | Some(',') => {}
                Some(c) => {
                    return Err(format!(
                        "`{c}` after a quoted element in `{text}` (expected `,`)"
                    ))
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                element.push(c);
            }
            if element == "NULL" {
                return Err(format!("NULL element in ACL `{text}`"));
            }
        }
        elements.push(element);
    }
    Ok(elements)
}

/// Items joined by `,`. A `,` inside a name is inside the item's own `"` quotes (names
/// that are not plain identifiers are always quoted), so only commas outside quotes
/// separate items.
fn joined_items(text: &str) -> Result<Vec<String>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                // A doubled `""` inside quotes toggles twice: still inside.
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(format!("a quoted name is not closed in `{text}`"));
    }
    items.push(current);
    Ok(items)
}

/// One `[group |role ]GRANTEE=PRIVS/GRANTOR` item.
fn parse_item(item: &str) -> Result<AclItem, String> {
    let (kind, rest) = if let Some(r) = item.strip_prefix("group ") {
        (Some(PrincipalKind::Group), r)
    } else if let Some(r) = item.strip_prefix("role ") {
        (Some(PrincipalKind::Role), r)
    } else {
        (None, item)
    };
    let (name, rest) = identifier(rest)?;
    let rest = rest
        .strip_prefix('=')
        .ok_or("expected `=` after the grantee")?;
    let (letters, grantor) = rest
        .split_once('/')
        .ok_or("expected `/GRANTOR` after the privileges")?;
    let mut privileges = Vec::new();
    let mut chars = letters.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_alphabetic() {
            return Err(format!("`{c}` is not a privilege letter"));
        }
        let grant_option = chars.peek() == Some(&'*');
        if grant_option {
            chars.next();
        }
        privileges.push((c, grant_option));
    }
    let (grantor, tail) = identifier(grantor)?;
    if !tail.is_empty() {
        return Err(format!("unexpected `{tail}` after the grantor"));
    }
    let grantee = match (kind, name.is_empty()) {
        (None, true) => Grantee::Public,
        (Some(_), true) => return Err("a group or role entry without a name".into()),
        (kind, false) => Grantee::principal(kind.unwrap_or(PrincipalKind::User), name),
    };
    Ok(AclItem {
        grantee,
        privileges,
        grantor,
    })
}

/// A name at the start of `s`, plain or in `"` with `""` for `"`; returns it and the rest.
fn identifier(s: &str) -> Result<(String, &str), String> {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut iter = quoted.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if c == '"' {
                if let Some((_, '"')) = iter.peek() {
                    iter.next();
                    name.push('"');
                } else {
                    return Ok((name, &quoted[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        Err("a quoted name is not closed".into())
    } else {
        let end = s.find(['=', '/']).unwrap_or(s.len());
        Ok((s[..end].to_string(), &s[end..]))
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
            let e = parse_acl(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        let e = parse_acl("{a=U}").unwrap_err();
        assert!(e.contains("`a=U`"), "{e}");
    }
}
