//! The small grammars inside grants.yaml strings: object keys (`schema.name`, parts
//! optionally in double quotes) and prefixed principal references (`group:NAME`).

use crate::model::PrincipalKind;

/// One part of an object key as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPart {
    /// The part with quotes removed and `""` undoubled.
    pub text: String,
    /// Written in double quotes: always an exact name, never a glob.
    pub quoted: bool,
}

impl KeyPart {
    /// A part containing `*`, `?` or `[` outside quotes is a glob.
    pub fn is_glob(&self) -> bool {
        !self.quoted && self.text.contains(['*', '?', '['])
    }
}

/// What is wrong with an object key's quoting. The caller's message names the key and
/// where it was written, so the variant is all there is to say; its Display is the tail
/// of that message (`cannot read schema key `…`: {this}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeyError {
    /// A part opens `"` and the key ends before it closes.
    #[error("a double quote is not closed")]
    Unclosed,
    /// `"a"b`: text right after a closing quote, not a `.`.
    #[error("text follows a closing double quote without a `.` between")]
    TextAfterClose,
    /// `a"b`: a `"` inside an unquoted part.
    #[error("a double quote may only open a quoted part (`\"a.b\"`)")]
    Stray,
}

/// Splits an object key on each `.` outside double quotes. A part may be written
/// `"a.b"`, with `""` standing for one `"`. On a malformed key, says what is wrong.
pub(crate) fn split_key(key: &str) -> Result<Vec<KeyPart>, KeyError> {
    let mut parts = Vec::new();
    let mut chars = key.chars().peekable();
    loop {
        let mut text = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(KeyError::Unclosed),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        text.push('"');
                    }
                    Some('"') => break,
                    Some(c) => text.push(c),
                }
            }
            match chars.peek() {
                None | Some('.') => {}
                Some(_) => return Err(KeyError::TextAfterClose),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                if c == '"' {
                    return Err(KeyError::Stray);
                }
                text.push(c);
                chars.next();
            }
        }
        parts.push(KeyPart { text, quoted });
        match chars.next() {
            None => return Ok(parts),
            Some(_dot) => {}
        }
    }
}

/// Splits `group:NAME`, `role:NAME`, `user:NAME` into kind and name; anything else is a
/// bare name (which may itself contain `:`).
pub(crate) fn split_prefix(text: &str) -> (Option<PrincipalKind>, &str) {
    if let Some((prefix, name)) = text.split_once(':') {
        let kind = match prefix {
            "group" => Some(PrincipalKind::Group),
            "role" => Some(PrincipalKind::Role),
            "user" => Some(PrincipalKind::User),
            _ => None,
        };
        if let Some(k) = kind {
            return (Some(k), name);
        }
    }
    (None, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(key: &str) -> Vec<(String, bool)> {
        split_key(key)
            .unwrap()
            .into_iter()
            .map(|p| (p.text, p.quoted))
            .collect()
    }

    #[test]
    fn keys_split_on_dots_outside_quotes() {
        assert_eq!(parts("demo_ml"), vec![("demo_ml".to_string(), false)]);
        assert_eq!(
            parts("demo_ml.customer_churn_auto_model"),
            vec![
                ("demo_ml".to_string(), false),
                ("customer_churn_auto_model".to_string(), false)
            ]
        );
        assert_eq!(
            parts(r#""my.schema"."say ""hi""""#),
            vec![
                ("my.schema".to_string(), true),
                ("say \"hi\"".to_string(), true)
            ]
        );
        assert_eq!(
            parts("a."),
            vec![("a".to_string(), false), (String::new(), false)]
        );
        assert_eq!(parts("a.b.c").len(), 3);
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        let e = split_key(r#""abc"#).unwrap_err();
        assert_eq!(e, KeyError::Unclosed);
        assert_eq!(e.to_string(), "a double quote is not closed");
        let e = split_key(r#""ab"c.d"#).unwrap_err();
        assert_eq!(e, KeyError::TextAfterClose);
        assert_eq!(
            e.to_string(),
            "text follows a closing double quote without a `.` between"
        );
        let e = split_key(r#"a"b"#).unwrap_err();
        assert_eq!(e, KeyError::Stray);
        assert_eq!(
            e.to_string(),
            "a double quote may only open a quoted part (`\"a.b\"`)"
        );
    }

    #[test]
    fn only_unquoted_parts_with_wildcards_are_globs() {
        let p = split_key(r#"sales_*."m?"."[x]""#).unwrap();
        assert!(p[0].is_glob());
        assert!(!p[1].is_glob(), "quoted");
        assert!(!p[2].is_glob(), "quoted");
        assert!(split_key("s.[ab]c").unwrap()[1].is_glob());
    }

    #[test]
    fn prefixes_name_a_kind_anything_else_is_a_bare_name() {
        assert_eq!(
            split_prefix("group:analysts"),
            (Some(PrincipalKind::Group), "analysts")
        );
        assert_eq!(split_prefix("role:a:b"), (Some(PrincipalKind::Role), "a:b"));
        assert_eq!(split_prefix("user:"), (Some(PrincipalKind::User), ""));
        assert_eq!(split_prefix("ds:share"), (None, "ds:share"));
        assert_eq!(split_prefix("Group:x"), (None, "Group:x"));
        assert_eq!(split_prefix("alice"), (None, "alice"));
    }
}
