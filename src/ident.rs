//! Identifiers: the one place that decides how a name is written in SQL.
//!
//! Every name that reaches SQL text passes through [`quote`]. A name is written bare only
//! when it is a lower-case regular identifier (`[a-z_][a-z0-9_$]*`) and not a keyword;
//! otherwise it is delimited with `"` and every `"` inside it doubled. A keyword is a word
//! of PostgreSQL's keyword table, of Redshift's reserved words ([`crate::keywords`]), or of
//! sqlparser's keyword list, whatever the target: quoting a word the server does not
//! reserve is harmless, while leaving a reserved one bare is a syntax error (or worse, a
//! different statement).

use crate::model::Target;
use std::borrow::Cow;

/// Writes `name` as an SQL identifier, quoting only where needed.
pub fn quote(name: &str) -> Cow<'_, str> {
    if is_bare(name) {
        Cow::Borrowed(name)
    } else {
        let mut s = String::with_capacity(name.len() + 2);
        push_delimited(&mut s, name);
        Cow::Owned(s)
    }
}

/// Appends `name` to `out` as [`quote`] writes it (the renderer builds each statement
/// in one buffer).
pub fn push_quoted(out: &mut String, name: &str) {
    if is_bare(name) {
        out.push_str(name);
    } else {
        push_delimited(out, name);
    }
}

/// Appends `text` as an SQL string literal: `'text'`, every `'` inside doubled. The one
/// literal grantplan writes is an IAM role's ARN (`GRANT ASSUMEROLE ON 'arn:...'`), whose
/// characters the loader and the reader check; a backslash, which Redshift may read as
/// an escape, never reaches here (the config refuses it, and so does the plan-file
/// reader).
pub fn push_literal(out: &mut String, text: &str) {
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

/// `"name"`, every `"` inside doubled.
fn push_delimited(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// `schema.name`, each part quoted as needed (the tests' generators; the renderer
/// appends with [`push_qualified`]).
#[cfg(test)]
pub fn qualified(schema: &str, name: &str) -> String {
    let mut s = String::with_capacity(schema.len() + name.len() + 1);
    push_qualified(&mut s, schema, name);
    s
}

/// Appends `schema.name` to `out`, each part quoted as needed.
pub fn push_qualified(out: &mut String, schema: &str, name: &str) {
    push_quoted(out, schema);
    out.push('.');
    push_quoted(out, name);
}

/// True when `name` can be written without quotes and still mean exactly `name`.
pub fn is_bare(name: &str) -> bool {
    is_plain(name) && !is_keyword(name)
}

/// True when `name` is a lower-case regular identifier, `[a-z_][a-z0-9_$]*`, keyword or not.
pub fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// True when `word` is a keyword of either target or of sqlparser, in any case: the words
/// [`quote`] never writes bare.
pub fn is_keyword(word: &str) -> bool {
    in_set(&KEYWORDS, word)
}

/// True when sqlparser knows `word` as a keyword (in any dialect).
///
/// Only for reading plans back ([`crate::sqlread`]): grantplan always quoted these, while
/// the words only the targets' own lists add (`analyse`, `offline`) were written bare
/// before those lists were used. A bare one of those still reads as the name it can only
/// be, so an older reviewed plan file keeps reading; the words with a meaning of their own
/// in a name's place (`CURRENT_USER`, `SESSION_USER`, `CURRENT_ROLE`) are all sqlparser's.
pub fn is_sqlparser_keyword(word: &str) -> bool {
    in_set(&SQLPARSER_KEYWORDS, word)
}

type WordSet = std::collections::HashSet<&'static str, foldhash::fast::FixedState>;

/// Whether `set` (of upper-case words) holds `word` in any case.
fn in_set(set: &WordSet, word: &str) -> bool {
    // This runs for every name of every statement rendered and read back (hundreds of
    // thousands on a large plan): upper-cased on the stack (no keyword is longer than
    // the buffer), then one hash lookup instead of a binary search of ~900 keywords
    // (which was a fifth of `Plan::verify`'s time).
    let mut buf = [0u8; 64];
    let Some(upper) = buf.get_mut(..word.len()) else {
        return false;
    };
    upper.copy_from_slice(word.as_bytes());
    upper.make_ascii_uppercase();
    let Ok(upper) = std::str::from_utf8(upper) else {
        return false;
    };
    set.contains(upper)
}

/// Every word [`is_keyword`] knows (upper case), hashed once per process.
static KEYWORDS: std::sync::LazyLock<WordSet> = std::sync::LazyLock::new(|| {
    sqlparser::keywords::ALL_KEYWORDS
        .iter()
        .chain(&crate::keywords::POSTGRES)
        .chain(&crate::keywords::REDSHIFT)
        .copied()
        .collect()
});

/// sqlparser's keywords (upper case), hashed once per process.
static SQLPARSER_KEYWORDS: std::sync::LazyLock<WordSet> =
    std::sync::LazyLock::new(|| sqlparser::keywords::ALL_KEYWORDS.iter().copied().collect());

/// The name as the server will store it.
///
/// Redshift folds ASCII letters to lower case even inside double quotes unless
/// `enable_case_sensitive_identifier` is on; user names keep their case. PostgreSQL keeps
/// a quoted name exactly, and grantplan always quotes names that are not lower case, so
/// nothing is folded there.
pub fn fold(target: Target, name: &str, case_sensitive: bool, is_user: bool) -> String {
    match target {
        Target::Redshift if !case_sensitive && !is_user => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lower_case_names_stay_bare() {
        for n in ["demo_ml", "retention_analyst_grp", "_x", "a$1", "t2"] {
            assert_eq!(quote(n), n);
        }
    }

    #[test]
    fn everything_else_is_quoted_and_quotes_are_doubled() {
        assert_eq!(quote("Sales ML"), "\"Sales ML\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote("x; drop table y"), "\"x; drop table y\"");
        assert_eq!(quote("données"), "\"données\"");
        assert_eq!(quote("1abc"), "\"1abc\"");
        assert_eq!(quote("$a"), "\"$a\"");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn keywords_are_quoted() {
        assert!(sqlparser::keywords::ALL_KEYWORDS
            .windows(2)
            .all(|w| w[0] < w[1]));
        for k in [
            "select", "table", "user", "group", "public", "grant", "order",
        ] {
            assert_eq!(quote(k), format!("\"{k}\""), "{k}");
        }
    }

    #[test]
    fn words_only_a_target_reserves_are_quoted() {
        // sqlparser does not know these; PostgreSQL (analyse, isnull) or Redshift
        // (offline, permissions, wallet, oid, ...) reserves them.
        for k in [
            "analyse",
            "isnull",
            "offline",
            "permissions",
            "wallet",
            "oid",
            "restore",
            "recover",
            "sysdate",
            "encode",
            "lun",
            "tdes",
            "mostly13",
            "current_user_id",
        ] {
            assert!(!is_sqlparser_keyword(k), "{k} is not sqlparser's");
            assert_eq!(quote(k), format!("\"{k}\""), "{k}");
        }
    }

    #[test]
    fn every_keyword_is_recognised_in_any_case() {
        // is_keyword upper-cases into a fixed buffer: every keyword must fit in it.
        let lists = [
            sqlparser::keywords::ALL_KEYWORDS,
            &crate::keywords::POSTGRES[..],
            &crate::keywords::REDSHIFT[..],
        ];
        for k in lists.into_iter().flatten() {
            assert!(is_keyword(k), "{k}");
            assert!(is_keyword(&k.to_ascii_lowercase()), "{k}");
            assert_eq!(
                quote(&k.to_ascii_lowercase()),
                format!("\"{}\"", k.to_ascii_lowercase())
            );
        }
        assert!(!is_keyword("demo_ml"));
        assert!(!is_keyword(&"select".repeat(20)));
        assert!(!is_keyword("sélect"));
    }

    #[test]
    fn redshift_folds_ascii_except_users_and_case_sensitive_mode() {
        assert_eq!(fold(Target::Redshift, "Demo_ML", false, false), "demo_ml");
        assert_eq!(
            fold(Target::Redshift, "Démo", false, false),
            "dÉmo".replace('É', "é")
        );
        assert_eq!(fold(Target::Redshift, "Alice", false, true), "Alice");
        assert_eq!(fold(Target::Redshift, "Demo", true, false), "Demo");
        assert_eq!(fold(Target::Postgres, "Demo", false, false), "Demo");
    }
}
