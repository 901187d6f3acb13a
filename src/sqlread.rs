//! Reads grantplan's own SQL back into typed [`Statement`]s: the inverse of
//! [`Statement::render`].
//!
//! Two callers need this. A test of the renderer wants to know that every statement
//! grantplan writes for Redshift is well-formed, the MODEL forms included. And
//! `apply PLANFILE` runs a file a person reviewed: it must run only what grantplan itself
//! writes, so a `DROP TABLE` pasted (or hidden) into a reviewed file is refused before
//! anything reaches the server. When in doubt, this module refuses.
//!
//! # Why a small parser over sqlparser's tokenizer
//!
//! - **Not sqlparser's parser.** sqlparser 0.63 has no grammar for Redshift ML:
//!   `GRANT CREATE MODEL TO g` and `ON MODEL s.m` fail to parse in every dialect, and
//!   `GRANT EXECUTE ON MODEL TO g` *parses*, as a grant on a table named `MODEL`. It also
//!   mislabels grantee lists that mix kinds (`TO GROUP g, u` reads `u` as a group), and in
//!   Redshift a bare name is a user, so its grantee kinds cannot be trusted either
//!   (the team's crates.md notes). Its AST accepts far more than grantplan writes, so
//!   refusing everything else would mean re-checking the whole AST anyway.
//! - **Not regular expressions, not splitting on `;`.** Quoted identifiers may hold `;`,
//!   `--`, `/*` and `"`; comments may hold anything. Only a real lexer knows where a
//!   statement ends, and a lexer that disagrees with the server is exactly how a
//!   statement gets smuggled past a reviewer. (A large text is lexed a piece at a time
//!   to bound memory, each piece cut after a token the lexer confirms is the whole
//!   text's token there, so the tokens are exactly the whole text's: see `Lexer`.)
//!
//! So the text is cut into tokens by sqlparser's tokenizer (with the target's dialect),
//! and a hand-written recursive-descent reader accepts exactly the forms that
//! `render_redshift` / `render_postgres` in [`crate::sql`] produce, one statement at a
//! time, each ending in `;` (the last one may omit it). Line breaks are blanks like any
//! other, so a statement laid out one object per line (as grantplan writes one naming
//! several objects or grantees) and the same statement on one line (as grantplan wrote
//! it before, in older plan files) read the same.
//!
//! # Where the tokenizer and the server could disagree, and what is refused
//!
//! Whatever the reader skips as whitespace or comment must be skipped by the server too,
//! or the server would run text nobody read. Found while writing this module:
//!
//! - With `RedshiftSqlDialect`, a `--` comment runs to `\n` only; the server (like
//!   PostgreSQL, whose lexer Redshift inherits) ends it at `\r` as well. So
//!   `-- note\rDROP TABLE t;` is one comment to the tokenizer and a `DROP` to the server.
//!   A line comment holding `\r` is refused.
//! - Nested block comments: `PostgreSqlDialect` nests `/* /* */ */`, `RedshiftSqlDialect`
//!   does not, and whether Redshift's server does is not documented. A block comment that
//!   holds `/*` is refused on both targets.
//! - Other blanks: the tokenizer treats vertical tab and form feed as spaces, which not
//!   every server version does. Only space, tab, `\n` and `\r` are accepted between tokens.
//! - `RedshiftSqlDialect` reads `[name]` as a quoted identifier and `#` as part of a name.
//!   grantplan writes neither; both are refused.
//! - A comment holding a Unicode direction control (U+202E and friends) can make a
//!   statement look commented out to a reviewer; such comments are refused.
//!
//! # Names
//!
//! A quoted name is taken exactly (`"a""b"` is `a"b`). An unquoted one is folded to
//! lower case (ASCII letters only, as the server does) and must then be plain lower-case
//! ASCII and not one of sqlparser's keywords ([`crate::ident::is_sqlparser_keyword`]).
//! That refuses bare keywords with a meaning of their own (`TO CURRENT_USER`,
//! `TO SESSION_USER`), which the server would not read as a name. The words only the
//! targets' own reserved lists add (`offline`, `analyse`) are read in both spellings: the
//! renderer quotes them, and grantplan before those lists wrote them bare, where they can
//! only be the name (the statement that runs is rendered again, quoted).
//! Every name must be non-empty, free of NUL, and within the target's length in bytes
//! ([`Target::max_identifier_bytes`]): PostgreSQL silently truncates longer names, so a
//! reviewed statement could act on a different role than the one it names. A principal
//! may not be called `public` in any case: the server reads `"public"` as PUBLIC, and
//! grantplan's config refuses the name.

use crate::ident::{is_plain, is_sqlparser_keyword};
use crate::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target};
use crate::sql::Statement;
use sqlparser::dialect::{Dialect, PostgreSqlDialect, RedshiftSqlDialect};
use sqlparser::tokenizer::{
    Location, Span, Token, TokenWithSpan, Tokenizer, TokenizerError, Whitespace, Word,
};

/// Why a text is not a list of grantplan statements, and where.
///
/// `line` and `column` are 1-based; the column counts characters, not bytes (as
/// sqlparser's tokenizer does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ReadError {
    pub line: u64,
    pub column: u64,
    pub kind: ReadErrorKind,
}

/// The problem a [`ReadError`] reports. Every `found` is the offending token as written
/// (shortened when long), every `expected` says what would have been accepted there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadErrorKind {
    /// The tokenizer could not cut the text into tokens (an unterminated quoted
    /// identifier, string or comment).
    #[error("the text cannot be read as SQL: {message}")]
    Lex { message: String },
    /// A token (a comment, quoted name, string or word) that does not end within `limit`
    /// bytes of its start, or never ends: grantplan writes none that long, and the text is
    /// read a piece at a time to bound its memory ([`MAX_TOKEN_BYTES`]).
    #[error("the token starting here (a comment, quoted name, string or word) does not end within {limit} bytes; grantplan writes none that long")]
    TooLong { limit: usize },
    /// Text the tokenizer would skip but the server might not: see the module comment.
    #[error("{found} is refused: {why}")]
    Hidden { found: String, why: &'static str },
    /// A statement that does not start with a word grantplan writes.
    #[error("{found} is not a statement grantplan writes; a plan file may only hold {allowed}")]
    NotAStatement {
        found: String,
        allowed: &'static str,
    },
    /// A `;` with no statement before it.
    #[error("found `;` with no statement before it; grantplan never writes empty statements")]
    EmptyStatement,
    /// Some other token than the grammar allows here.
    #[error("found {found}, expected {expected}")]
    Unexpected { found: String, expected: String },
    /// The text ends in the middle of a statement.
    #[error("the text ends inside a statement; expected {expected}")]
    UnexpectedEnd { expected: String },
    /// A form grantplan writes only for Redshift, in a PostgreSQL plan.
    #[error("{found} is Redshift-only: {why}")]
    RedshiftOnly { found: String, why: &'static str },
    /// A second object, grantee, role or member after a `,`.
    #[error("found `,` after the {what}: grantplan writes one {what} per statement")]
    List { what: &'static str },
    /// A clause grantplan never writes (`CASCADE`, `WITH GRANT OPTION`, `ALL PRIVILEGES`, ...).
    #[error("{found} is refused: {why}")]
    Forbidden { found: String, why: &'static str },
    /// The same privilege twice in one list.
    #[error("privilege {privilege} is listed twice")]
    DuplicatePrivilege { privilege: Privilege },
    /// A privilege that does not apply to the object (`USAGE ON MODEL`).
    #[error("{privilege} cannot be granted on a {object}; a {object} takes {allowed}")]
    PrivilegeObject {
        privilege: Privilege,
        object: &'static str,
        allowed: String,
    },
    /// `CREATE MODEL` listed together with other privileges.
    #[error("CREATE MODEL is granted on its own, on nothing; found it listed with {other}")]
    CreateModelMixed { other: Privilege },
    /// An unquoted keyword where a name belongs.
    #[error("found {found}, expected {expected}; a bare keyword is not a name, grantplan writes a name that is a keyword in double quotes ({quoted})")]
    KeywordAsName {
        found: String,
        expected: String,
        quoted: String,
    },
    /// A name grantplan cannot have written.
    #[error("{found} is not a name grantplan writes: {why}")]
    BadName { found: String, why: String },
}

/// Reads `sql` as grantplan statements for `target`: all of them, or the first problem.
///
/// Accepts exactly what [`Statement::render`] writes for `target` (see the module
/// comment for the few extra refusals), separated by whitespace and comments. On
/// PostgreSQL every principal reads back as a role, since the server keeps no kinds;
/// compare with [`Target::canonical`] / [`Target::canonical_principal`].
///
/// Problems rank as if the whole text were first cut into tokens, then checked for
/// hidden text, then read: a lexing problem anywhere comes first, then a refused
/// blank or comment anywhere, then the first statement that does not read.
pub fn read(sql: &str, target: Target) -> Result<Vec<Statement>, ReadError> {
    read_in_pieces(sql, target, PIECE_BYTES)
}

/// About how much text [`read`] tokenizes at a time: it bounds the tokens alive at once,
/// each many times the size of its text however short (a space is one).
const PIECE_BYTES: usize = 64 * 1024;

/// How far the tokenizer may have looked past the end of a token to decide where it
/// ends (a number checks three characters for an exponent, `e+1`): a token that ends
/// closer than this to the end of a piece is not trusted to end there in the whole text.
const LOOKAHEAD_BYTES: usize = 64;

/// The longest token read: one that has not ended this far from its start is refused
/// ([`ReadErrorKind::TooLong`]). grantplan's longest token is a quoted name of a few
/// hundred bytes; without a bound, a comment or quoted name as long as the file would
/// make a piece as long as the file, and the memory of its tokens unbounded.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// [`read`], lexing about `piece_bytes` at a time (at least one byte).
///
/// The tokenizer only cuts a whole text into a vector of tokens, and every token, a
/// single blank or line break included, is many times the size of its text: a plan file
/// of blank lines or comments (its seal can be recomputed by anyone) would cost memory
/// many times its size. So the text is lexed a piece at a time, blanks and comments are
/// checked and dropped at once, and the other tokens are kept only until their statement
/// is read ([`Lexer`], [`Reader`]). A piece is cut after a token the tokenizer confirms,
/// so the tokens are exactly those of the whole text (this is not "splitting on `;`",
/// see the module comment).
pub(crate) fn read_in_pieces(
    sql: &str,
    target: Target,
    piece_bytes: usize,
) -> Result<Vec<Statement>, ReadError> {
    let mut reader = Reader::new(sql, target, piece_bytes);
    let mut statements = Vec::new();
    let mut unreadable = None;
    while !reader.lexer.failed() && reader.peek().is_some() {
        match reader.statement() {
            Ok(s) => statements.push(s),
            Err(e) => {
                unreadable = Some(e);
                break;
            }
        }
    }
    reader.tokens = Vec::new();
    // The rest of the text may still hold a problem that ranks first.
    reader.lexer.finish();
    match (reader.lexer.lex_error, reader.lexer.hidden, unreadable) {
        (Some(e), _, _) | (None, Some(e), _) | (None, None, Some(e)) => Err(e),
        (None, None, None) => Ok(statements),
    }
}

/// [`read`] of the whole text at once (for the checks that pieces read the same).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn read_whole(sql: &str, target: Target) -> Result<Vec<Statement>, ReadError> {
    read_in_pieces(sql, target, usize::MAX)
}

/// A token kept for reading: what the tokenizer made of it, where it is in the whole
/// text (line and column as the tokenizer counts them, and bytes), and the first comment
/// since the token before it (an argument list must not hold one).
struct Tok {
    token: Token,
    span: Span,
    start: usize,
    end: usize,
    comment_before: Option<Location>,
}

/// Cuts the text into tokens a piece at a time, checks the whitespace and comments (see
/// the module comment) and hands on the other tokens.
///
/// # Why a cut between pieces changes nothing
///
/// The tokenizer works left to right and decides where a token ends from its characters
/// and the few after it ([`LOOKAHEAD_BYTES`]); the one exception, Redshift's `[`, may look
/// across any run of blanks for a `"` (`[ "name" ]`). So a token of a piece that ends at
/// least `LOOKAHEAD_BYTES` before the piece's end, and is not a `[` followed by nothing
/// but blanks, is exactly the whole text's token there; and so is every token before
/// it. The next piece starts after such a token. A fresh tokenizer starts as if the
/// token before were not a word, which differs only for `._` after a word (and, in
/// dialects that allow names starting with digits, which these two do not, after `.`):
/// no cut is made there. A piece in which no token can be trusted is tried at twice the
/// length, up to [`MAX_TOKEN_BYTES`]: past that its first token is too long (or, when
/// the tokenizer fails the same way on a longer piece, is the problem it reports). The
/// last piece is the rest of the text and is trusted whole.
struct Lexer<'a> {
    sql: &'a str,
    dialect: &'static dyn Dialect,
    redshift: bool,
    piece_bytes: usize,
    /// Where the text not lexed yet starts: its byte offset, line and column.
    at: usize,
    loc: Location,
    /// The tokenizer's vector, kept for the next piece.
    buf: Vec<TokenWithSpan>,
    /// The byte offset (in the piece) where each token of `buf` ends.
    ends: Vec<usize>,
    /// The first comment since the last significant token.
    comment: Option<Location>,
    /// Just after the last significant token: where "the text ends" errors point.
    end: Location,
    /// The first lexing problem: it ends the reading.
    lex_error: Option<ReadError>,
    /// The first refused blank or comment: no token is handed on after it.
    hidden: Option<ReadError>,
    done: bool,
}

static REDSHIFT: RedshiftSqlDialect = RedshiftSqlDialect {};
static POSTGRES: PostgreSqlDialect = PostgreSqlDialect {};

impl<'a> Lexer<'a> {
    fn new(sql: &'a str, target: Target, piece_bytes: usize) -> Self {
        Lexer {
            sql,
            dialect: match target {
                Target::Redshift => &REDSHIFT,
                Target::Postgres => &POSTGRES,
            },
            redshift: target == Target::Redshift,
            piece_bytes: piece_bytes.max(1),
            at: 0,
            loc: Location::new(1, 1),
            buf: Vec::new(),
            ends: Vec::new(),
            comment: None,
            end: Location::new(1, 1),
            lex_error: None,
            hidden: None,
            done: sql.is_empty(),
        }
    }

    /// True when a problem was found: nothing more is handed on.
    fn failed(&self) -> bool {
        self.lex_error.is_some() || self.hidden.is_some()
    }

    /// Lexes what is left, for its problems only.
    fn finish(&mut self) {
        while !self.done && self.lex_error.is_none() {
            self.next_piece(None);
        }
    }

    /// A location in a piece (1-based, as the tokenizer counts) as one in the whole text.
    fn whole(&self, in_piece: Location) -> Location {
        if in_piece.line <= 1 {
            Location::new(self.loc.line, self.loc.column + in_piece.column.max(1) - 1)
        } else {
            Location::new(self.loc.line + in_piece.line - 1, in_piece.column)
        }
    }

    /// Lexes `text` (the start of what is left) into `buf`, and where each token ends
    /// into `ends`.
    fn lex(&mut self, text: &str) -> Result<(), sqlparser::tokenizer::TokenizerError> {
        self.buf.clear();
        self.ends.clear();
        let result =
            Tokenizer::new(self.dialect, text).tokenize_with_location_into_buf(&mut self.buf);
        // Tokens are contiguous: walk the text once from one end to the next.
        let ascii = text.is_ascii();
        let (mut byte, mut line, mut column) = (0usize, 1u64, 1u64);
        for t in &self.buf {
            let to = t.span.end;
            while line < to.line {
                byte += text[byte..].find('\n').map_or(text.len() - byte, |i| i + 1);
                line += 1;
                column = 1;
            }
            let n = usize::try_from(to.column.saturating_sub(column)).unwrap_or(usize::MAX);
            byte = if ascii {
                (byte + n).min(text.len())
            } else {
                text[byte..]
                    .char_indices()
                    .nth(n)
                    .map_or(text.len(), |(i, _)| byte + i)
            };
            column = to.column;
            self.ends.push(byte);
        }
        result
    }

    /// Lexes the next piece and hands its significant tokens to `out` (none when `out` is
    /// `None`, or once a problem was found).
    fn next_piece(&mut self, mut out: Option<&mut Vec<Tok>>) {
        self.skip_blanks();
        let rest = &self.sql[self.at..];
        if rest.is_empty() {
            self.done = true;
            return;
        }
        let mut size = self.piece_bytes;
        let taken = loop {
            let mut end = size.min(rest.len());
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            let last = end == rest.len();
            let result = self.lex(&rest[..end]);
            if last {
                if let Err(e) = result {
                    self.lex_error = Some(ReadError {
                        line: self.whole(e.location).line,
                        column: self.whole(e.location).column,
                        kind: ReadErrorKind::Lex { message: e.message },
                    });
                    return;
                }
                break self.buf.len();
            }
            if let Some(cut) = self.cut(&rest[..end]) {
                break cut + 1;
            }
            if end < MAX_TOKEN_BYTES {
                size = end.saturating_mul(2);
                continue;
            }
            match self.unresolved(rest, end, result.err()) {
                Next::Take(taken) => break taken,
                Next::Retry(longer) => size = longer,
                Next::Stop => return,
            }
        };
        let (text_end, next_loc) = match taken.checked_sub(1) {
            Some(i) => (self.ends[i], self.whole(self.buf[i].span.end)),
            None => (0, self.loc),
        };
        let mut buf = std::mem::take(&mut self.buf);
        let ends = std::mem::take(&mut self.ends);
        // By index, moving out only the tokens handed on: most tokens are blanks and
        // comments, and a token is large to move.
        let mut from = 0;
        for (t, &to) in buf[..taken].iter_mut().zip(&ends) {
            let (start, end) = (from, to);
            from = to;
            if self.hidden.is_some() {
                break;
            }
            match &t.token {
                Token::Whitespace(Whitespace::Tab | Whitespace::Newline) => {}
                Token::Whitespace(w) => {
                    if let Some(problem) = hidden(w, &rest[start..end]) {
                        self.hidden = Some(at_loc(self.whole(t.span.start), problem));
                    } else if matches!(
                        w,
                        Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
                    ) && self.comment.is_none()
                    {
                        self.comment = Some(self.whole(t.span.start));
                    }
                }
                _ => {
                    let span = Span::new(self.whole(t.span.start), self.whole(t.span.end));
                    self.end = span.end;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(Tok {
                            token: std::mem::replace(&mut t.token, Token::EOF),
                            span,
                            start: self.at + start,
                            end: self.at + end,
                            comment_before: self.comment.take(),
                        });
                    }
                }
            }
        }
        buf.clear();
        self.buf = buf;
        self.ends = ends;
        self.at += text_end;
        self.loc = next_loc;
        if self.at == self.sql.len() {
            self.done = true;
        }
    }

    /// Steps over the spaces, tabs and line breaks at the start of what is left, without
    /// the tokenizer: at the start of a token each of them is a whitespace token of its
    /// own (`\r\n` one token), which is dropped, and the next token is lexed alike after
    /// one or after none. A plan file can hold millions of blank lines, each a token
    /// that takes time to make.
    fn skip_blanks(&mut self) {
        let blanks = &self.sql[self.at..];
        let n = blanks
            .bytes()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(blanks.len());
        let blanks = &blanks[..n];
        self.loc = match blanks.rfind('\n') {
            Some(last) => Location::new(
                self.loc.line + blanks.bytes().filter(|&b| b == b'\n').count() as u64,
                (n - last) as u64,
            ),
            None => Location::new(self.loc.line, self.loc.column + n as u64),
        };
        self.at += n;
    }

    /// The index of the last token of the piece `text` that the whole text has too, and
    /// after which a piece may start (see [`Lexer`]); `None` when there is none.
    fn cut(&self, text: &str) -> Option<usize> {
        let limit = text.len().checked_sub(LOOKAHEAD_BYTES)?;
        let mut trusted = self.ends.partition_point(|&e| e <= limit);
        if self.redshift {
            // A `[` with nothing but blanks after it has not seen what follows them.
            let blanks = text.trim_end_matches(char::is_whitespace).len();
            if let Ok(i) = self.ends.binary_search(&blanks) {
                if self.buf[i].token == Token::LBracket {
                    trusted = trusted.min(i);
                }
            }
        }
        (0..trusted).rev().find(|&i| {
            !(matches!(self.buf[i].token, Token::Word(_)) && text[self.ends[i]..].starts_with("._"))
        })
    }

    /// A piece of `end` bytes of `rest` (at least [`MAX_TOKEN_BYTES`], not the last) in
    /// which no token could be trusted: its first token did not end, or the tokenizer
    /// failed on it (`failed`). What to do next.
    fn unresolved(&mut self, rest: &str, end: usize, failed: Option<TokenizerError>) -> Next {
        // Redshift's `[` and a long run of blanks: `[` alone unless what follows the
        // blanks makes it a quoted name, as the tokenizer decides from `[` and that
        // character.
        if self.redshift && self.buf.first().map(|t| &t.token) == Some(&Token::LBracket) {
            let after = rest[self.ends[0]..].trim_start_matches(char::is_whitespace);
            let probe: String = std::iter::once('[').chain(after.chars().take(1)).collect();
            let mut buf = Vec::new();
            let _ = Tokenizer::new(self.dialect, &probe).tokenize_with_location_into_buf(&mut buf);
            if buf.first().map(|t| &t.token) == Some(&Token::LBracket) {
                return Next::Take(1);
            }
        }
        if let (Some(first), true) = (failed, self.buf.is_empty()) {
            // The first token failed: its own problem, or the piece's end? The same
            // failure on a longer piece is its own.
            let mut longer = (end + LONGER_BYTES).min(rest.len());
            while !rest.is_char_boundary(longer) {
                longer += 1;
            }
            if longer == rest.len() {
                return Next::Retry(longer);
            }
            let again = self.lex(&rest[..longer]).err();
            if again.as_ref() == Some(&first) && self.buf.is_empty() {
                let at = self.whole(first.location);
                self.lex_error = Some(at_loc(
                    at,
                    ReadErrorKind::Lex {
                        message: first.message,
                    },
                ));
                return Next::Stop;
            }
        }
        self.lex_error = Some(at_loc(
            self.loc,
            ReadErrorKind::TooLong {
                limit: MAX_TOKEN_BYTES,
            },
        ));
        Next::Stop
    }
}

/// How much longer a piece is lexed again to tell a token's own failure from a cut.
const LONGER_BYTES: usize = 4096;

/// What [`Lexer::unresolved`] found to do.
enum Next {
    /// Take this many tokens of the piece.
    Take(usize),
    /// Lex a piece of this many bytes instead (the rest of the text).
    Retry(usize),
    /// A problem was found.
    Stop,
}

/// Why a blank or comment `token` (whose text is `text`) is refused: see the module
/// comment.
fn hidden(token: &Whitespace, text: &str) -> Option<ReadErrorKind> {
    let (found, why) = match token {
        Whitespace::Space if text != " " => (
            format!("`{}`", text.escape_default()),
            "only spaces, tabs and line breaks may separate tokens",
        ),
        Whitespace::SingleLineComment { comment, .. } | Whitespace::MultiLineComment(comment)
            if comment.chars().any(is_bidi_control) =>
        {
            (
                "a comment holding a Unicode direction control".to_string(),
                "it can make statements look commented out, or reordered, to the person \
                 reviewing the file",
            )
        }
        Whitespace::SingleLineComment { comment, .. } if comment.contains('\r') => (
            "a `--` comment holding a carriage return".to_string(),
            "the server ends the comment at the carriage return and would run what \
             follows it",
        ),
        Whitespace::MultiLineComment(comment) if comment.contains("/*") => (
            "a `/*` inside a `/* */` comment".to_string(),
            "servers disagree on whether comments nest, so where this comment ends is \
             ambiguous",
        ),
        _ => return None,
    };
    Some(ReadErrorKind::Hidden { found, why })
}

/// The upper-case words that start a statement, for messages.
fn allowed_statements(target: Target) -> &'static str {
    match target {
        Target::Redshift => "GRANT, REVOKE, CREATE GROUP/ROLE and ALTER GROUP",
        Target::Postgres => "GRANT, REVOKE and CREATE ROLE ... NOLOGIN",
    }
}

/// A token as written, for messages: back-quoted, control characters escaped, long ones
/// cut short. Never panics (sqlparser's own `Display` for [`Word`] does on odd quotes).
fn describe(token: &Token) -> String {
    let text = match token {
        Token::Word(w) => word_text(w),
        Token::EOF => return "the end of the text".to_string(),
        other => other.to_string(),
    };
    let mut shown = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 60 {
            shown.push_str("...");
            break;
        }
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    format!("`{shown}`")
}

fn word_text(w: &Word) -> String {
    match w.quote_style {
        None => w.value.clone(),
        Some('"') => format!("\"{}\"", w.value.replace('"', "\"\"")),
        Some('[') => format!("[{}]", w.value),
        Some(q) => format!("{q}{}{q}", w.value),
    }
}

/// The unquoted word `w`, upper-cased, when `token` is one; structural words never
/// count when quoted (`"GRANT"` is a name).
fn bare_word(token: &Token) -> Option<String> {
    match token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// The significant tokens of the text, as the lexer hands them on, and a cursor over
/// them.
struct Reader<'a> {
    target: Target,
    src: &'a str,
    lexer: Lexer<'a>,
    /// The tokens handed on and not read yet, and the two before the cursor. The next two
    /// are always here when the text has them (the reader looks two tokens ahead).
    tokens: Vec<Tok>,
    pos: usize,
}

type Res<T> = Result<T, ReadError>;

/// How many read tokens [`Reader::advance`] lets pile up before dropping them.
const KEEP_TOKENS: usize = 4096;

impl<'a> Reader<'a> {
    fn new(src: &'a str, target: Target, piece_bytes: usize) -> Self {
        let mut reader = Reader {
            target,
            src,
            lexer: Lexer::new(src, target, piece_bytes),
            tokens: Vec::new(),
            pos: 0,
        };
        reader.fill();
        reader
    }

    /// Lexes until the token after the next one is here, or the text has no more.
    fn fill(&mut self) {
        while self.tokens.len() < self.pos + 2 && !self.lexer.done && !self.lexer.failed() {
            self.lexer.next_piece(Some(&mut self.tokens));
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn peek_token(&self) -> &Token {
        self.peek().map_or(&Token::EOF, |t| &t.token)
    }

    /// The token after the next one.
    fn peek2_token(&self) -> &Token {
        self.tokens
            .get(self.pos + 1)
            .map_or(&Token::EOF, |t| &t.token)
    }

    fn here(&self) -> Location {
        self.peek().map_or(self.lexer.end, |t| t.span.start)
    }

    /// Moves past the next token (when there is one).
    fn advance(&mut self) {
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        if self.pos > KEEP_TOKENS {
            // Only the last token read is looked at again (`principal_name`).
            self.tokens.drain(..self.pos - 2);
            self.pos = 2;
        }
        self.fill();
    }

    fn error(&self, kind: ReadErrorKind) -> ReadError {
        at_loc(self.here(), kind)
    }

    /// "found X, expected `expected`" at the next token, or "the text ends" after the last.
    fn unexpected(&self, expected: impl Into<String>) -> ReadError {
        let expected = expected.into();
        match self.peek() {
            None => self.error(ReadErrorKind::UnexpectedEnd { expected }),
            Some(t) => self.error(ReadErrorKind::Unexpected {
                found: describe(&t.token),
                expected,
            }),
        }
    }

    /// True when the next token is the unquoted word `kw` (any case).
    /// True when the next token is the unquoted keyword `kw` (written in upper case), in
    /// any case. Compared in place: this runs for every token of every statement read
    /// back.
    fn at(&self, kw: &str) -> bool {
        matches!(self.peek_token(), Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    fn eat(&mut self, kw: &str) -> bool {
        let yes = self.at(kw);
        if yes {
            self.advance();
        }
        yes
    }

    fn expect(&mut self, kw: &str, expected: &str) -> Res<()> {
        if self.eat(kw) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// One statement, with its `;` (or the end of the text).
    fn statement(&mut self) -> Res<Statement> {
        let Some(first) = self.peek() else {
            return Err(self.unexpected("a statement"));
        };
        let start = first.span.start;
        let first_token = first.token.clone();
        if first.token == Token::SemiColon {
            return Err(self.error(ReadErrorKind::EmptyStatement));
        }
        let (statement, list) = match bare_word(&first.token).as_deref() {
            Some("GRANT") => {
                self.advance();
                self.grant_or_revoke(true)?
            }
            Some("REVOKE") => {
                self.advance();
                self.grant_or_revoke(false)?
            }
            Some("CREATE") => {
                self.advance();
                (self.create()?, "name")
            }
            Some("ALTER") if bare_word(self.peek2_token()).as_deref() == Some("DEFAULT") => {
                self.advance();
                self.alter_default()?
            }
            Some("ALTER") if self.target == Target::Redshift => {
                self.advance();
                self.alter_group()?
            }
            Some("ALTER") if bare_word(self.peek2_token()).as_deref() == Some("GROUP") => {
                return Err(self.error(ReadErrorKind::RedshiftOnly {
                    found: "`ALTER GROUP`".to_string(),
                    why: "on PostgreSQL grantplan writes memberships as `GRANT role TO member`",
                }));
            }
            _ => {
                return Err(at_loc(
                    start,
                    ReadErrorKind::NotAStatement {
                        found: describe(&first_token),
                        allowed: allowed_statements(self.target),
                    },
                ))
            }
        };
        self.end_of_statement(list)?;
        Ok(statement)
    }

    /// The `;` after a statement; `list` names what a `,` here would be listing.
    fn end_of_statement(&mut self, list: &'static str) -> Res<()> {
        match self.peek_token() {
            Token::EOF => Ok(()),
            Token::SemiColon => {
                self.advance();
                Ok(())
            }
            Token::Comma => Err(self.error(ReadErrorKind::List { what: list })),
            t => {
                let why = match bare_word(t).as_deref() {
                    Some("WITH") => {
                        "grantplan never writes WITH clauses (WITH GRANT OPTION, WITH ADMIN \
                         OPTION, WITH USER, ...)"
                    }
                    Some("GRANTED") => "grantplan never writes GRANTED BY",
                    Some("CASCADE" | "RESTRICT") => "grantplan never writes CASCADE or RESTRICT",
                    _ => return Err(self.unexpected("`;` ending the statement")),
                };
                Err(self.error(ReadErrorKind::Forbidden {
                    found: describe(t),
                    why,
                }))
            }
        }
    }

    /// After `GRANT` / `REVOKE`. Returns the statement and what a trailing `,` would list.
    fn grant_or_revoke(&mut self, grant: bool) -> Res<(Statement, &'static str)> {
        if !grant
            && (self.at("GRANT") || self.at("ADMIN"))
            && bare_word(self.peek2_token()).as_deref() == Some("OPTION")
        {
            let found = describe(self.peek_token());
            return Err(self.error(ReadErrorKind::Forbidden {
                found,
                why: "grantplan never writes REVOKE GRANT OPTION FOR or ADMIN OPTION FOR",
            }));
        }
        if self.target == Target::Redshift && self.system_ahead() {
            return self.system_permissions(grant);
        }
        if self.at("ASSUMEROLE") {
            if self.target == Target::Postgres {
                return Err(self.error(ReadErrorKind::RedshiftOnly {
                    found: "`ASSUMEROLE`".to_string(),
                    why: "PostgreSQL has no IAM roles",
                }));
            }
            self.advance();
            return self.assume_role(grant);
        }
        let next = bare_word(self.peek_token());
        let is_privilege = next.as_deref().is_some_and(|w| {
            w == "ALL"
                || Privilege::ALL
                    .iter()
                    .any(|p| p.sql().split(' ').next() == Some(w))
        });
        match self.target {
            Target::Redshift if self.at("ROLE") => {
                self.advance();
                return self.role_membership(grant).map(|s| (s, "grantee"));
            }
            Target::Postgres if self.at("ROLE") => {
                return Err(self.error(ReadErrorKind::RedshiftOnly {
                    found: "`GRANT ROLE`".to_string(),
                    why: "on PostgreSQL grantplan writes memberships as `GRANT role TO member`",
                }));
            }
            Target::Postgres if !is_privilege => {
                // `GRANT role TO member`: the role is a name, and a bare name is never a
                // keyword, so a bare keyword here is a privilege grantplan does not manage.
                let is_word = matches!(self.peek_token(), Token::Word(_));
                if !is_word || next.as_deref().is_some_and(is_sqlparser_keyword) {
                    return Err(self.unexpected(format!(
                        "a privilege grantplan manages ({}) or a role name",
                        Privilege::words(self.target)
                    )));
                }
                return self.role_membership(grant).map(|s| (s, "member"));
            }
            Target::Redshift if !is_privilege => {
                return Err(self.unexpected(format!(
                    "a privilege grantplan manages ({}) or ROLE",
                    Privilege::words(self.target)
                )));
            }
            _ => {}
        }

        let privileges = self.privileges()?;
        let verb = if grant { "TO" } else { "FROM" };
        let on = if let Some(&(_, at)) = privileges
            .iter()
            .find(|(p, _)| *p == Privilege::CreateModel)
        {
            if self.target == Target::Postgres {
                return Err(at_loc(
                    at,
                    ReadErrorKind::RedshiftOnly {
                        found: "`CREATE MODEL`".to_string(),
                        why: "PostgreSQL has no models",
                    },
                ));
            }
            if let Some(&(other, at)) = privileges
                .iter()
                .find(|(p, _)| *p != Privilege::CreateModel)
            {
                return Err(at_loc(at, ReadErrorKind::CreateModelMixed { other }));
            }
            if !self.at(verb) {
                return Err(
                    self.unexpected(format!("`{verb}`: CREATE MODEL is granted on nothing"))
                );
            }
            vec![Securable::CreateModel]
        } else {
            self.expect("ON", "`ON` and the object")?;
            let on = self.objects()?;
            check_privileges(&privileges, &on[0], self.target)?;
            on
        };
        self.expect(verb, &format!("`{verb}` and the grantee"))?;
        let grantees = self.grantees()?;
        let mut privileges: Vec<Privilege> = privileges.into_iter().map(|(p, _)| p).collect();
        privileges.sort();
        let statement = Statement::change_many(grant, privileges, on, grantees);
        Ok((statement, "grantee"))
    }

    /// Whether a list of system permissions comes next (Redshift): a word only they
    /// start with, or CREATE, ALTER, DROP or TRUNCATE followed by the second word of one
    /// (`DROP TABLE` is a permission, `DROP ON` or `DROP,` a table privilege). CREATE
    /// MODEL is read as ever, on its own.
    fn system_ahead(&self) -> bool {
        let first = bare_word(self.peek_token());
        let second = bare_word(self.peek2_token());
        let (Some(first), second) = (first.as_deref(), second.as_deref()) else {
            return false;
        };
        if first == "CREATE" && second == Some("MODEL") {
            return false;
        }
        Privilege::SYSTEM.iter().any(|p| {
            let mut words = p.sql().split(' ');
            words.next() == Some(first)
                && match words.next() {
                    None => true,
                    Some(w) => second == Some(w),
                }
        })
    }

    /// `GRANT` / `REVOKE` of system permissions (Redshift): each phrase of
    /// [`Privilege::SYSTEM`], separated by `,`, then `TO` / `FROM` roles only
    /// (r_GRANT: "you can only grant permissions to roles, not users").
    fn system_permissions(&mut self, grant: bool) -> Res<(Statement, &'static str)> {
        let verb = if grant { "TO" } else { "FROM" };
        let mut privileges: Vec<Privilege> = Vec::new();
        loop {
            let at = self.here();
            let mut phrase = String::new();
            while let Some(w) = bare_word(self.peek_token()) {
                if w == verb {
                    break;
                }
                if !phrase.is_empty() {
                    phrase.push(' ');
                }
                phrase.push_str(&w);
                self.advance();
            }
            let Some(&p) = Privilege::SYSTEM.iter().find(|p| p.sql() == phrase) else {
                return Err(at_loc(
                    at,
                    ReadErrorKind::Unexpected {
                        found: format!("`{phrase}`"),
                        expected: "a system permission (r_GRANT's list)".to_string(),
                    },
                ));
            };
            if privileges.contains(&p) {
                return Err(at_loc(
                    at,
                    ReadErrorKind::DuplicatePrivilege { privilege: p },
                ));
            }
            privileges.push(p);
            if self.peek_token() == &Token::Comma {
                self.advance();
            } else {
                break;
            }
        }
        self.expect(verb, &format!("`{verb}` and the roles"))?;
        let mut grantees = Vec::new();
        loop {
            if !self.at("ROLE") {
                return Err(self.unexpected("ROLE and a role name: system permissions go to roles"));
            }
            grantees.push(self.grantee()?);
            if self.peek_token() == &Token::Comma {
                self.advance();
            } else {
                break;
            }
        }
        privileges.sort();
        let statement =
            Statement::change_many(grant, privileges, vec![Securable::System], grantees);
        Ok((statement, "role"))
    }

    /// After `GRANT ASSUMEROLE` / `REVOKE ASSUMEROLE` (Redshift): `ON 'arn'` or `ON
    /// default`, one role; `TO` / `FROM` the grantees; `FOR` the purposes (CREATE MODEL,
    /// COPY, UNLOAD, EXTERNAL FUNCTION), as grantplan writes them (never `ON ALL`, never
    /// `FOR ALL`).
    fn assume_role(&mut self, grant: bool) -> Res<(Statement, &'static str)> {
        self.expect("ON", "`ON` and the IAM role: its ARN in quotes, or default")?;
        let arn = match self.peek_token().clone() {
            Token::SingleQuotedString(arn) => {
                if arn.is_empty() || arn.contains(['\\', '\'']) || arn.chars().any(char::is_control)
                {
                    return Err(self.unexpected(
                        "an IAM role's ARN (grantplan writes none that is empty or holds a \
                         quote, a backslash or a control character)",
                    ));
                }
                self.advance();
                Some(arn)
            }
            _ if self.eat("DEFAULT") => None,
            _ if self.at("ALL") => {
                let found = describe(self.peek_token());
                return Err(self.error(ReadErrorKind::Forbidden {
                    found,
                    why: "grantplan names each IAM role and never writes ON ALL",
                }));
            }
            _ => return Err(self.unexpected("the IAM role: its ARN in quotes, or default")),
        };
        if self.peek_token() == &Token::Comma {
            return Err(self.error(ReadErrorKind::List { what: "IAM role" }));
        }
        let verb = if grant { "TO" } else { "FROM" };
        self.expect(verb, &format!("`{verb}` and the grantee"))?;
        let grantees = self.grantees()?;
        self.expect(
            "FOR",
            "`FOR` and what the role may be used for (CREATE MODEL, COPY, UNLOAD or EXTERNAL \
             FUNCTION)",
        )?;
        let mut purposes: Vec<Privilege> = Vec::new();
        loop {
            let at = self.here();
            let purpose = if self.eat("CREATE") {
                self.expect("MODEL", "`MODEL`")?;
                Privilege::CreateModel
            } else if self.eat("COPY") {
                Privilege::Copy
            } else if self.eat("UNLOAD") {
                Privilege::Unload
            } else if self.eat("EXTERNAL") {
                self.expect("FUNCTION", "`FUNCTION`")?;
                Privilege::ExternalFunction
            } else if self.at("ALL") {
                let found = describe(self.peek_token());
                return Err(self.error(ReadErrorKind::Forbidden {
                    found,
                    why: "grantplan lists each purpose and never writes FOR ALL",
                }));
            } else {
                return Err(self.unexpected("CREATE MODEL, COPY, UNLOAD or EXTERNAL FUNCTION"));
            };
            if purposes.contains(&purpose) {
                return Err(at_loc(
                    at,
                    ReadErrorKind::DuplicatePrivilege { privilege: purpose },
                ));
            }
            purposes.push(purpose);
            if self.peek_token() == &Token::Comma {
                self.advance();
            } else {
                break;
            }
        }
        purposes.sort();
        let on = vec![Securable::IamRole { arn }];
        Ok((
            Statement::change_many(grant, purposes, on, grantees),
            "purpose",
        ))
    }

    /// After `ALTER`: `DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] GRANT privileges ON
    /// TABLES TO grantees` (or REVOKE ... FROM), as grantplan writes it: `FOR USER` on
    /// Redshift, whose grammar has no `FOR ROLE`, one role and at most one schema.
    fn alter_default(&mut self) -> Res<(Statement, &'static str)> {
        self.expect("DEFAULT", "`DEFAULT PRIVILEGES`")?;
        self.expect("PRIVILEGES", "`PRIVILEGES`")?;
        let owner = match self.target {
            Target::Redshift => "USER",
            Target::Postgres => "ROLE",
        };
        self.expect("FOR", &format!("`FOR {owner}` and whose future objects"))?;
        self.expect(
            owner,
            &format!("`{owner}`: grantplan writes FOR {owner} here"),
        )?;
        let role = self.name("the name of the role whose future objects these are")?;
        let schema = if self.eat("IN") {
            self.expect("SCHEMA", "`SCHEMA` and its name")?;
            Some(self.name("a schema name")?)
        } else {
            None
        };
        let grant = if self.eat("GRANT") {
            true
        } else if self.eat("REVOKE") {
            false
        } else {
            return Err(self.unexpected("`GRANT` or `REVOKE`"));
        };
        let privileges = self.privileges()?;
        self.expect("ON", "`ON` and the kind of objects")?;
        let target = self.target;
        let word = bare_word(self.peek_token());
        let Some(of) = ObjectKind::ALL.into_iter().find(|k| {
            k.defaults_sql(target).is_some() && k.defaults_sql(target) == word.as_deref()
        }) else {
            let words: Vec<&str> = ObjectKind::ALL
                .into_iter()
                .filter_map(|k| k.defaults_sql(target))
                .collect();
            return Err(self.unexpected(crate::model::joined(&words, "or")));
        };
        self.advance();
        let allowed = |p: Privilege| match grant {
            true => of.defaults_allow(p, target),
            false => of.defaults_revocable(p, target),
        };
        if let Some(&(privilege, at)) = privileges.iter().find(|(p, _)| !allowed(*p)) {
            let words: Vec<&str> = of
                .privileges()
                .filter(|&p| allowed(p))
                .map(Privilege::sql)
                .collect();
            return Err(at_loc(
                at,
                ReadErrorKind::PrivilegeObject {
                    privilege,
                    object: of.noun(),
                    allowed: crate::model::joined(&words, "and"),
                },
            ));
        }
        let verb = if grant { "TO" } else { "FROM" };
        self.expect(verb, &format!("`{verb}` and the grantee"))?;
        let grantees = self.grantees()?;
        let mut privileges: Vec<Privilege> = privileges.into_iter().map(|(p, _)| p).collect();
        privileges.sort();
        let on = vec![Securable::Default { role, schema, of }];
        Ok((
            Statement::change_many(grant, privileges, on, grantees),
            "grantee",
        ))
    }

    /// After `ON`: the kind word (`SCHEMA`, `MODEL`, `FUNCTION`) once, then one or more
    /// objects of that kind separated by `,`.
    fn objects(&mut self) -> Res<Vec<Securable>> {
        let first = self.object()?;
        let mut on = vec![first];
        let Some(kind) = on[0].object_kind() else {
            return Ok(on);
        };
        while self.peek_token() == &Token::Comma {
            self.advance();
            on.push(self.object_of(kind)?);
        }
        Ok(on)
    }

    /// One object of `kind` after its kind word (or a `,`): its name, then its argument
    /// list for a kind that has one.
    fn object_of(&mut self, kind: ObjectKind) -> Res<Securable> {
        let (first, second) = if kind.qualified() {
            self.qualified(kind)?
        } else {
            (self.name(kind.info().parts_read_as.0)?, String::new())
        };
        let args = if kind.info().has_args {
            self.arguments()?
        } else {
            None
        };
        Ok(kind.object(first, second, args))
    }

    /// `CREATE MODEL`, `CREATE`, `USAGE`, `EXECUTE`, separated by `,`, each at most once.
    fn privileges(&mut self) -> Res<Vec<(Privilege, Location)>> {
        let mut out: Vec<(Privilege, Location)> = Vec::new();
        loop {
            let at = self.here();
            let word = bare_word(self.peek_token());
            let privilege = match word.as_deref() {
                Some("ALL") => {
                    let found = describe(self.peek_token());
                    return Err(self.error(ReadErrorKind::Forbidden {
                        found,
                        why: "grantplan lists privileges one by one and never writes ALL [PRIVILEGES]",
                    }));
                }
                Some(w)
                    if Privilege::ALL
                        .iter()
                        .any(|p| p.sql().split(' ').next() == Some(w)) =>
                {
                    self.advance();
                    self.rest_of_privilege(w)
                }
                _ => {
                    return Err(self.unexpected(format!(
                        "a privilege grantplan manages ({})",
                        Privilege::words(self.target)
                    )))
                }
            };
            if out.iter().any(|(p, _)| *p == privilege) {
                return Err(at_loc(at, ReadErrorKind::DuplicatePrivilege { privilege }));
            }
            out.push((privilege, at));
            if self.peek_token() == &Token::Comma {
                self.advance();
            } else {
                return Ok(out);
            }
        }
    }

    /// The privilege whose SQL begins with `first` (already read): the one whose further
    /// words follow (`CREATE MODEL`), else the one-word privilege (`CREATE`).
    fn rest_of_privilege(&mut self, first: &str) -> Privilege {
        let mut one_word = None;
        for p in Privilege::ALL {
            let mut words = p.sql().split(' ');
            if words.next() != Some(first) {
                continue;
            }
            match words.next() {
                None => one_word = Some(p),
                // No privilege's SQL has more than two words.
                Some(second) if self.eat(second) => return p,
                Some(_) => {}
            }
        }
        one_word.expect("a privilege's first word was matched")
    }

    /// After `ON`: `SCHEMA s`, `MODEL s.m` (Redshift) or `FUNCTION s.f[(args)]`.
    fn object(&mut self) -> Res<Securable> {
        let word = bare_word(self.peek_token());
        match word.as_deref().and_then(ObjectKind::from_sql) {
            Some(kind) if kind.exists_on(self.target) => {
                self.advance();
                self.object_of(kind)
            }
            Some(kind) => Err(self.error(ReadErrorKind::RedshiftOnly {
                found: format!("`ON {}`", kind.sql()),
                why: kind.info().absent.1,
            })),
            None => self.object_word(word.as_deref()),
        }
    }

    /// After `ON`, a word that is no kind's.
    fn object_word(&mut self, word: Option<&str>) -> Res<Securable> {
        match word {
            Some("ALL") => {
                let found = describe(self.peek_token());
                Err(self.error(ReadErrorKind::Forbidden {
                    found,
                    why: "grantplan names every object and never writes ON ALL ... IN SCHEMA",
                }))
            }
            _ => Err(self.unexpected(ObjectKind::sql_words(self.target))),
        }
    }

    /// `schema.name` for a model or function.
    fn qualified(&mut self, kind: ObjectKind) -> Res<(String, String)> {
        // What each name is, for messages: fixed text, as this runs for every object
        // name read back.
        let (schema_is, name_is) = kind.info().parts_read_as;
        let what = kind.noun();
        let schema = self.name(schema_is)?;
        if self.peek_token() != &Token::Period {
            return Err(self.unexpected(format!(
                "`.` and the {what} name: grantplan always writes schema.{what}"
            )));
        }
        self.advance();
        let name = self.name(name_is)?;
        Ok((schema, name))
    }

    /// An optional `(argument types)` after a function name: the text between the
    /// parentheses exactly as written (trimmed), since the renderer writes it verbatim.
    ///
    /// Only what argument types are made of may appear inside (names, `.`, `,`, `[]`,
    /// numbers, nested parentheses); no comment, since the text is kept and written again.
    fn arguments(&mut self) -> Res<Option<String>> {
        let Some(open) = self.peek().filter(|t| t.token == Token::LParen) else {
            return Ok(None);
        };
        let open = open.end;
        self.advance();
        let mut depth = 1usize;
        let mut comment = None;
        let close =
            loop {
                let Some(t) = self.peek() else {
                    return Err(self.unexpected("`)` closing the argument list"));
                };
                comment = comment.or(t.comment_before);
                match &t.token {
                    Token::LParen => depth += 1,
                    Token::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            let close = t.start;
                            self.advance();
                            break close;
                        }
                    }
                    Token::Word(w) => self.check_argument_word(w)?,
                    Token::Comma
                    | Token::Period
                    | Token::LBracket
                    | Token::RBracket
                    | Token::Number(_, false) => {}
                    _ => return Err(self.unexpected(
                        "argument types (names, `.`, `,`, `[]`) or `)` closing the argument list",
                    )),
                }
                self.advance();
            };
        if let Some(c) = comment {
            return Err(at_loc(
                c,
                ReadErrorKind::Hidden {
                    found: "a comment inside an argument list".to_string(),
                    why: "the argument list is kept as written and grantplan never puts comments in it",
                },
            ));
        }
        let text = &self.src[open..close];
        Ok(Some(text.trim_matches([' ', '\t', '\n', '\r']).to_string()))
    }

    fn check_argument_word(&self, w: &Word) -> Res<()> {
        let why = match w.quote_style {
            None if w.value.contains('#') => "`#` is not part of a type name",
            Some('"') if w.value.contains('\0') => "a name cannot hold a NUL character",
            None | Some('"') => return Ok(()),
            Some(_) => "grantplan quotes names with double quotes only",
        };
        Err(self.error(ReadErrorKind::BadName {
            found: describe(self.peek_token()),
            why: why.to_string(),
        }))
    }

    /// One name: quoted (taken exactly) or bare (folded; must be one the renderer would
    /// write bare). `expected` describes it for messages.
    fn name(&mut self, expected: &str) -> Res<String> {
        let Some(Token::Word(w)) = self.peek().map(|t| &t.token) else {
            return Err(self.unexpected(expected));
        };
        // Described only for an error: this runs for every name of every statement.
        let found = || describe(&Token::Word(w.clone()));
        let bad = |why: String| {
            Err(self.error(ReadErrorKind::BadName {
                found: found(),
                why,
            }))
        };
        let name = match w.quote_style {
            Some('"') => w.value.clone(),
            None => {
                let folded = w.value.to_ascii_lowercase();
                if is_sqlparser_keyword(&folded) {
                    return Err(self.error(ReadErrorKind::KeywordAsName {
                        found: found(),
                        expected: expected.to_string(),
                        quoted: format!("\"{folded}\""),
                    }));
                }
                if !is_plain(&folded) {
                    return bad(format!(
                        "a name that is not plain lower-case ASCII (letters, digits, `_`, `$`) \
                         is written in double quotes (\"{}\")",
                        w.value.replace('"', "\"\"")
                    ));
                }
                folded
            }
            Some(_) => return bad("grantplan quotes names with double quotes only".to_string()),
        };
        if name.is_empty() {
            return bad("a name cannot be empty".to_string());
        }
        if name.contains('\0') {
            return bad("a name cannot hold a NUL character".to_string());
        }
        let max = self.target.max_identifier_bytes();
        if name.len() > max {
            return bad(format!(
                "it is {} bytes long and {} keeps at most {max} bytes",
                name.len(),
                match self.target {
                    Target::Redshift => "Redshift",
                    Target::Postgres => "PostgreSQL",
                }
            ));
        }
        self.advance();
        Ok(name)
    }

    /// A group, role or user name: [`Reader::name`], and never `public`.
    fn principal_name(&mut self, expected: &str) -> Res<String> {
        let at = self.here();
        let name = self.name(expected)?;
        if name.eq_ignore_ascii_case("public") {
            return Err(at_loc(
                at,
                ReadErrorKind::BadName {
                    // `name` read exactly one token.
                    found: describe(&self.tokens[self.pos - 1].token),
                    why: "the server reads the name `public` as PUBLIC; grantplan writes PUBLIC \
                          for everyone and no principal can be called public"
                        .to_string(),
                },
            ));
        }
        Ok(name)
    }

    /// After `TO` / `FROM`: Redshift `GROUP g`, `ROLE r`, `PUBLIC` or a bare user name;
    /// PostgreSQL `PUBLIC` or a role name.
    /// One grantee or more, separated by `,`.
    fn grantees(&mut self) -> Res<Vec<Grantee>> {
        let mut grantees = vec![self.grantee()?];
        while self.peek_token() == &Token::Comma {
            self.advance();
            grantees.push(self.grantee()?);
        }
        Ok(grantees)
    }

    fn grantee(&mut self) -> Res<Grantee> {
        if self.eat("PUBLIC") {
            return Ok(Grantee::Public);
        }
        let grantee = match self.target {
            Target::Redshift => {
                let kind = if self.eat("GROUP") {
                    PrincipalKind::Group
                } else if self.eat("ROLE") {
                    PrincipalKind::Role
                } else {
                    PrincipalKind::User
                };
                let expected = match kind {
                    PrincipalKind::Group => "a group name",
                    PrincipalKind::Role => "a role name",
                    PrincipalKind::User => {
                        "the grantee: GROUP name, ROLE name, PUBLIC or a user name"
                    }
                };
                Grantee::principal(kind, self.principal_name(expected)?)
            }
            Target::Postgres => {
                if self.at("GROUP") || self.at("ROLE") || self.at("USER") {
                    let found = describe(self.peek_token());
                    return Err(self.error(ReadErrorKind::Unexpected {
                        found,
                        expected: "the grantee: PUBLIC or a role name (grantplan writes no \
                                   GROUP/ROLE/USER before a PostgreSQL grantee)"
                            .to_string(),
                    }));
                }
                Grantee::principal(
                    PrincipalKind::Role,
                    self.principal_name("the grantee: PUBLIC or a role name")?,
                )
            }
        };
        Ok(grantee)
    }

    /// Redshift `GRANT ROLE r TO {ROLE r2 | user}` (after `ROLE`), PostgreSQL
    /// `GRANT r TO m`; and their REVOKE ... FROM forms.
    fn role_membership(&mut self, grant: bool) -> Res<Statement> {
        let verb = if grant { "TO" } else { "FROM" };
        let parent = Principal::new(PrincipalKind::Role, self.principal_name("a role name")?);
        if self.peek_token() == &Token::Comma {
            return Err(self.error(ReadErrorKind::List { what: "role" }));
        }
        self.expect(verb, &format!("`{verb}` and the member"))?;
        let member = match self.target {
            Target::Redshift => {
                if self.at("GROUP") {
                    let found = describe(self.peek_token());
                    return Err(self.error(ReadErrorKind::Unexpected {
                        found,
                        expected: "the member: ROLE name or a user name (Redshift grants roles \
                                   to users and roles, not to groups)"
                            .to_string(),
                    }));
                }
                if self.at("PUBLIC") {
                    let found = describe(self.peek_token());
                    return Err(self.error(ReadErrorKind::Unexpected {
                        found,
                        expected: "the member: ROLE name or a user name (grantplan never grants \
                                   a role to PUBLIC)"
                            .to_string(),
                    }));
                }
                if self.eat("ROLE") {
                    Principal::new(PrincipalKind::Role, self.principal_name("a role name")?)
                } else {
                    Principal::new(
                        PrincipalKind::User,
                        self.principal_name("the member: ROLE name or a user name")?,
                    )
                }
            }
            Target::Postgres => Principal::new(
                PrincipalKind::Role,
                self.principal_name("the member's role name")?,
            ),
        };
        if self.peek_token() == &Token::Comma {
            return Err(self.error(ReadErrorKind::List { what: "member" }));
        }
        Ok(if grant {
            Statement::AddMember { parent, member }
        } else {
            Statement::RemoveMember { parent, member }
        })
    }

    /// After `CREATE`: Redshift `GROUP g` / `ROLE r`; PostgreSQL `ROLE r NOLOGIN`.
    fn create(&mut self) -> Res<Statement> {
        let target = self.target;
        let kind = match target {
            Target::Redshift if self.eat("GROUP") => PrincipalKind::Group,
            Target::Redshift if self.eat("ROLE") => PrincipalKind::Role,
            Target::Redshift => {
                return Err(self.unexpected("GROUP or ROLE (grantplan never creates users)"))
            }
            Target::Postgres if self.at("GROUP") => {
                return Err(self.error(ReadErrorKind::RedshiftOnly {
                    found: "`CREATE GROUP`".to_string(),
                    why: "on PostgreSQL grantplan creates groups as `CREATE ROLE name NOLOGIN`",
                }))
            }
            Target::Postgres if self.eat("ROLE") => PrincipalKind::Role,
            Target::Postgres => return Err(self.unexpected("ROLE (grantplan never creates users)")),
        };
        let name = self.principal_name(match kind {
            PrincipalKind::Group => "a group name",
            _ => "a role name",
        })?;
        if self.target == Target::Postgres {
            self.expect(
                "NOLOGIN",
                "NOLOGIN (grantplan creates roles that cannot log in)",
            )?;
        }
        Ok(Statement::CreatePrincipal {
            principal: Principal::new(kind, name),
        })
    }

    /// After `ALTER` (Redshift): `GROUP g ADD USER u` / `GROUP g DROP USER u`.
    fn alter_group(&mut self) -> Res<(Statement, &'static str)> {
        self.expect(
            "GROUP",
            "GROUP (grantplan alters nothing but group membership)",
        )?;
        let parent = Principal::new(PrincipalKind::Group, self.principal_name("a group name")?);
        let add = if self.eat("ADD") {
            true
        } else if self.eat("DROP") {
            false
        } else {
            return Err(self.unexpected("ADD USER or DROP USER"));
        };
        self.expect("USER", "USER (a group's members are users)")?;
        let member = Principal::new(PrincipalKind::User, self.principal_name("a user name")?);
        let statement = if add {
            Statement::AddMember { parent, member }
        } else {
            Statement::RemoveMember { parent, member }
        };
        Ok((statement, "user"))
    }
}

/// Unicode's explicit direction marks, embeddings, overrides and isolates ("Trojan
/// Source", CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn at_loc(at: Location, kind: ReadErrorKind) -> ReadError {
    ReadError {
        line: at.line,
        column: at.column,
        kind,
    }
}

/// Refuses a privilege that does not apply to `on` (`USAGE ON MODEL`, `EXECUTE ON SCHEMA`).
fn check_privileges(
    privileges: &[(Privilege, Location)],
    on: &Securable,
    target: Target,
) -> Res<()> {
    let Some(kind) = on.object_kind() else {
        return Ok(());
    };
    match privileges.iter().find(|(p, _)| !kind.allows_on(*p, target)) {
        Some(&(privilege, at)) => Err(at_loc(
            at,
            ReadErrorKind::PrivilegeObject {
                privilege,
                object: kind.noun(),
                allowed: kind.privilege_words(target),
            },
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ident::{qualified, quote};
    use proptest::prelude::*;
    use Target::{Postgres, Redshift};

    fn p(kind: PrincipalKind, name: &str) -> Principal {
        Principal::new(kind, name)
    }
    fn g(kind: PrincipalKind, name: &str) -> Grantee {
        Grantee::principal(kind, name)
    }
    fn schema(name: &str) -> Securable {
        Securable::Schema { name: name.into() }
    }
    fn model(s: &str, n: &str) -> Securable {
        Securable::Model {
            schema: s.into(),
            name: n.into(),
        }
    }
    fn function(s: &str, n: &str, args: Option<&str>) -> Securable {
        Securable::Function {
            schema: s.into(),
            name: n.into(),
            args: args.map(str::to_string),
        }
    }
    fn grant(privileges: &[Privilege], on: Securable, grantee: Grantee) -> Statement {
        Statement::change(true, privileges.to_vec(), on, grantee)
    }

    #[test]
    fn system_permissions_are_written_and_read_back_and_go_to_roles_only() {
        let s = Statement::change_many(
            true,
            vec![
                Privilege::DropTable,
                Privilege::DropModel,
                Privilege::AccessSystemTable,
            ],
            vec![Securable::System],
            vec![g(Role, "ml_admin"), g(Role, "select")],
        );
        let sql =
            "GRANT ACCESS SYSTEM TABLE, DROP TABLE, DROP MODEL\n  TO\n    ROLE ml_admin,\n    \
                   ROLE \"select\";";
        let mut sorted = s.clone();
        if let Statement::Grant { privileges, .. } = &mut sorted {
            privileges.sort();
        }
        assert_eq!(sorted.render(Redshift), sql);
        assert_eq!(read(sql, Redshift), Ok(vec![sorted.canonical(Redshift)]));
        // A table privilege that starts like one is still a table privilege.
        let t = one("GRANT DROP, TRUNCATE ON TABLE s.t TO GROUP g;", Redshift);
        assert!(
            matches!(t, Statement::Grant { on, .. } if matches!(on[0], Securable::Table { .. }))
        );
        for (sql, piece) in [
            (
                "GRANT DROP MODEL TO GROUP g;",
                "system permissions go to roles",
            ),
            (
                "GRANT DROP MODEL TO alice;",
                "system permissions go to roles",
            ),
            ("GRANT VACUUM ALL TO ROLE r;", "a system permission"),
            ("REVOKE VACUUM, VACUUM FROM ROLE r;", "VACUUM"),
        ] {
            let e = read(sql, Redshift).unwrap_err().to_string();
            assert!(e.contains(piece), "{sql}: {e}");
        }
    }

    #[test]
    fn assumerole_is_written_and_read_back_as_redshift_writes_it() {
        let role = |arn: Option<&str>| Securable::IamRole {
            arn: arn.map(str::to_string),
        };
        let arn = "arn:aws:iam::123456789012:role/RedshiftML";
        let cases = [
            (
                Statement::change_many(
                    true,
                    vec![Privilege::CreateModel],
                    vec![role(Some(arn))],
                    vec![g(Group, "retention_analyst_grp")],
                ),
                "GRANT ASSUMEROLE ON 'arn:aws:iam::123456789012:role/RedshiftML' TO GROUP \
                 retention_analyst_grp FOR CREATE MODEL;"
                    .to_string(),
            ),
            (
                Statement::change_many(
                    false,
                    vec![
                        Privilege::CreateModel,
                        Privilege::Copy,
                        Privilege::ExternalFunction,
                    ],
                    vec![role(None)],
                    vec![Grantee::Public, g(Role, "etl"), g(User, "select")],
                ),
                "REVOKE ASSUMEROLE ON default\n  FROM\n    PUBLIC,\n    ROLE etl,\n    \
                 \"select\"\n  FOR CREATE MODEL, COPY, EXTERNAL FUNCTION;"
                    .to_string(),
            ),
        ];
        for (statement, sql) in cases {
            assert_eq!(statement.render(Redshift), sql);
            assert_eq!(
                read(&sql, Redshift),
                Ok(vec![statement.canonical(Redshift)]),
                "{sql}"
            );
        }
        // What grantplan never writes: ON ALL, FOR ALL, two roles, and ASSUMEROLE on
        // PostgreSQL.
        for (sql, target, piece) in [
            (
                "GRANT ASSUMEROLE ON ALL TO GROUP g FOR COPY;",
                Redshift,
                "never writes ON ALL",
            ),
            (
                "GRANT ASSUMEROLE ON default TO GROUP g FOR ALL;",
                Redshift,
                "never writes FOR ALL",
            ),
            (
                "GRANT ASSUMEROLE ON 'arn:a', 'arn:b' TO GROUP g FOR COPY;",
                Redshift,
                "one IAM role per statement",
            ),
            (
                "GRANT ASSUMEROLE ON default TO PUBLIC FOR COPY, COPY;",
                Redshift,
                "COPY",
            ),
            (
                "GRANT ASSUMEROLE ON default TO a FOR COPY;",
                Postgres,
                "PostgreSQL has no IAM roles",
            ),
        ] {
            let e = read(sql, target).unwrap_err().to_string();
            assert!(e.contains(piece), "{sql}: {e}");
        }
    }

    #[test]
    fn default_privileges_are_written_and_read_back_on_both_targets() {
        let default = |role: &str, schema: Option<&str>, of| Securable::Default {
            role: role.into(),
            schema: schema.map(str::to_string),
            of,
        };
        let cases = [
            (
                Postgres,
                Statement::change_many(
                    true,
                    vec![Select, Insert],
                    vec![default("etl", Some("demo_ml"), ObjectKind::Table)],
                    vec![g(Role, "an")],
                ),
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA demo_ml GRANT SELECT, INSERT \
                 ON TABLES TO an;",
            ),
            (
                Postgres,
                Statement::change_many(
                    false,
                    vec![Execute],
                    vec![default("Etl Owner", None, ObjectKind::Function)],
                    vec![Grantee::Public],
                ),
                "ALTER DEFAULT PRIVILEGES FOR ROLE \"Etl Owner\" REVOKE EXECUTE ON FUNCTIONS \
                 FROM PUBLIC;",
            ),
            (
                Postgres,
                Statement::change_many(
                    true,
                    vec![Usage, Update],
                    vec![default("etl", None, ObjectKind::Sequence)],
                    vec![g(Role, "a"), g(Role, "select")],
                ),
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT USAGE, UPDATE ON SEQUENCES\n  TO\n    \
                 a,\n    \"select\";",
            ),
            (
                Redshift,
                Statement::change_many(
                    true,
                    vec![Select, Drop],
                    vec![default("etl", Some("demo_ml"), ObjectKind::Table)],
                    vec![g(Group, "marketing_analyst_grp")],
                ),
                "ALTER DEFAULT PRIVILEGES FOR USER etl IN SCHEMA demo_ml GRANT SELECT, DROP ON \
                 TABLES TO GROUP marketing_analyst_grp;",
            ),
            (
                Redshift,
                Statement::change_many(
                    false,
                    vec![Execute],
                    vec![default("etl", None, ObjectKind::Procedure)],
                    vec![g(Role, "etl_role")],
                ),
                "ALTER DEFAULT PRIVILEGES FOR USER etl REVOKE EXECUTE ON PROCEDURES FROM ROLE \
                 etl_role;",
            ),
        ];
        for (target, statement, sql) in cases {
            assert_eq!(statement.render(target), sql);
            assert_eq!(
                read(sql, target),
                Ok(vec![statement.canonical(target)]),
                "{sql}"
            );
        }
        // What grantplan never writes: FOR ROLE on Redshift, PROCEDURES on PostgreSQL
        // (FUNCTIONS covers them), TRIGGER where Redshift has none.
        for (sql, target, piece) in [
            (
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT SELECT ON TABLES TO GROUP g;",
                Redshift,
                "expected `USER`",
            ),
            (
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT EXECUTE ON PROCEDURES TO a;",
                Postgres,
                "expected FUNCTIONS, TABLES or SEQUENCES",
            ),
            (
                "ALTER DEFAULT PRIVILEGES FOR USER etl GRANT TRIGGER ON TABLES TO GROUP g;",
                Redshift,
                "TRIGGER cannot be granted on a table",
            ),
            // Redshift's grammar: no ALTER on TABLES, no DROP in REVOKE (§12.6).
            (
                "ALTER DEFAULT PRIVILEGES FOR USER etl GRANT ALTER ON TABLES TO GROUP g;",
                Redshift,
                "ALTER cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
                 DELETE, TRUNCATE, REFERENCES and DROP",
            ),
            (
                "ALTER DEFAULT PRIVILEGES FOR USER etl REVOKE DROP ON TABLES FROM GROUP g;",
                Redshift,
                "DROP cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
                 DELETE, TRUNCATE and REFERENCES",
            ),
        ] {
            let e = read(sql, target).unwrap_err().to_string();
            assert!(e.contains(piece), "{sql}: {e}");
        }
    }
    fn revoke(privileges: &[Privilege], on: Securable, grantee: Grantee) -> Statement {
        Statement::change(false, privileges.to_vec(), on, grantee)
    }
    use PrincipalKind::{Group, Role, User};
    use Privilege::{Create, CreateModel, Drop, Execute, Insert, Select, Update, Usage};

    /// The single statement `sql` reads as.
    fn one(sql: &str, target: Target) -> Statement {
        match read(sql, target) {
            Ok(v) if v.len() == 1 => v.into_iter().next().unwrap(),
            other => panic!("{sql:?} on {target}: {other:?}"),
        }
    }

    fn err(sql: &str, target: Target) -> ReadError {
        match read(sql, target) {
            Err(e) => e,
            Ok(v) => panic!("{sql:?} on {target} was accepted: {v:?}"),
        }
    }

    fn canonical(s: &Statement, target: Target) -> Statement {
        s.canonical(target)
    }

    /// Every word of both targets' reserved lists, as the name of a group, role, user,
    /// schema, model and function, is written quoted and reads back as itself; written
    /// bare, as grantplan wrote the words sqlparser does not know before it used the
    /// targets' lists, it still reads (the words sqlparser knows never were bare, and
    /// stay refused bare).
    #[test]
    fn every_reserved_word_renders_quoted_and_reads_back_in_both_spellings() {
        let words = crate::keywords::POSTGRES
            .iter()
            .chain(&crate::keywords::REDSHIFT)
            .map(|w| w.to_ascii_lowercase());
        let mut checked = 0;
        for w in words {
            let w = w.as_str();
            for target in [Postgres, Redshift] {
                let mut statements = vec![
                    Statement::CreatePrincipal {
                        principal: p(Role, w),
                    },
                    Statement::AddMember {
                        parent: p(Role, w),
                        member: p(User, w),
                    },
                    grant(&[Create, Usage], schema(w), g(Role, w)),
                    revoke(&[Usage], schema(w), g(User, w)),
                    grant(&[Execute], function(w, w, Some("integer")), g(User, w)),
                ];
                if target == Redshift {
                    statements.extend([
                        Statement::CreatePrincipal {
                            principal: p(Group, w),
                        },
                        Statement::AddMember {
                            parent: p(Group, w),
                            member: p(User, w),
                        },
                        grant(&[Execute], model(w, w), g(Group, w)),
                        revoke(&[CreateModel], Securable::CreateModel, g(Group, w)),
                    ]);
                }
                for s in statements {
                    let sql = s.render(target);
                    let quoted = format!("\"{w}\"");
                    assert!(sql.contains(&quoted), "{w} not quoted on {target}: {sql}");
                    assert_eq!(one(&sql, target), canonical(&s, target), "{sql}");
                    let bare = sql.replace(&quoted, w);
                    if is_sqlparser_keyword(w) {
                        assert!(read(&bare, target).is_err(), "{bare} on {target}");
                    } else {
                        assert_eq!(one(&bare, target), canonical(&s, target), "{bare}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 600 * 5, "{checked}");
    }

    #[test]
    fn reads_every_redshift_form() {
        let cases: Vec<(&str, Statement)> = vec![
            (
                "CREATE GROUP g;",
                Statement::CreatePrincipal {
                    principal: p(Group, "g"),
                },
            ),
            (
                "CREATE ROLE r;",
                Statement::CreatePrincipal {
                    principal: p(Role, "r"),
                },
            ),
            (
                "ALTER GROUP g ADD USER u;",
                Statement::AddMember {
                    parent: p(Group, "g"),
                    member: p(User, "u"),
                },
            ),
            (
                "ALTER GROUP g DROP USER \"Alice\";",
                Statement::RemoveMember {
                    parent: p(Group, "g"),
                    member: p(User, "Alice"),
                },
            ),
            (
                "GRANT ROLE r TO u;",
                Statement::AddMember {
                    parent: p(Role, "r"),
                    member: p(User, "u"),
                },
            ),
            (
                "GRANT ROLE r TO ROLE r2;",
                Statement::AddMember {
                    parent: p(Role, "r"),
                    member: p(Role, "r2"),
                },
            ),
            (
                "REVOKE ROLE r FROM u;",
                Statement::RemoveMember {
                    parent: p(Role, "r"),
                    member: p(User, "u"),
                },
            ),
            (
                "REVOKE ROLE r FROM ROLE r2;",
                Statement::RemoveMember {
                    parent: p(Role, "r"),
                    member: p(Role, "r2"),
                },
            ),
            (
                "GRANT CREATE MODEL TO GROUP retention_analyst_grp;",
                grant(
                    &[CreateModel],
                    Securable::CreateModel,
                    g(Group, "retention_analyst_grp"),
                ),
            ),
            (
                "REVOKE CREATE MODEL FROM PUBLIC;",
                revoke(&[CreateModel], Securable::CreateModel, Grantee::Public),
            ),
            (
                "GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;",
                grant(
                    &[Create, Usage],
                    schema("demo_ml"),
                    g(Group, "retention_analyst_grp"),
                ),
            ),
            (
                "GRANT USAGE, CREATE ON SCHEMA s TO ROLE r;",
                grant(&[Create, Usage], schema("s"), g(Role, "r")),
            ),
            (
                "REVOKE USAGE ON SCHEMA s FROM dave;",
                revoke(&[Usage], schema("s"), g(User, "dave")),
            ),
            (
                "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;",
                grant(
                    &[Execute],
                    model("demo_ml", "customer_churn_auto_model"),
                    g(Group, "marketing_analyst_grp"),
                ),
            ),
            (
                "REVOKE EXECUTE ON MODEL s.m FROM ROLE r;",
                revoke(&[Execute], model("s", "m"), g(Role, "r")),
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(integer, text) TO u;",
                grant(
                    &[Execute],
                    function("s", "f", Some("integer, text")),
                    g(User, "u"),
                ),
            ),
            (
                "REVOKE EXECUTE ON FUNCTION s.f() FROM PUBLIC;",
                revoke(&[Execute], function("s", "f", Some("")), Grantee::Public),
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f TO GROUP g;",
                grant(&[Execute], function("s", "f", None), g(Group, "g")),
            ),
        ];
        for (sql, want) in cases {
            assert_eq!(one(sql, Redshift), want, "{sql}");
        }
    }

    #[test]
    fn reads_every_postgres_form_as_roles() {
        let cases: Vec<(&str, Statement)> = vec![
            (
                "CREATE ROLE r NOLOGIN;",
                Statement::CreatePrincipal {
                    principal: p(Role, "r"),
                },
            ),
            (
                "GRANT r TO m;",
                Statement::AddMember {
                    parent: p(Role, "r"),
                    member: p(Role, "m"),
                },
            ),
            (
                "REVOKE \"R\" FROM \"Alice\";",
                Statement::RemoveMember {
                    parent: p(Role, "R"),
                    member: p(Role, "Alice"),
                },
            ),
            (
                "GRANT CREATE, USAGE ON SCHEMA s TO r;",
                grant(&[Create, Usage], schema("s"), g(Role, "r")),
            ),
            (
                "REVOKE USAGE ON SCHEMA s FROM PUBLIC;",
                revoke(&[Usage], schema("s"), Grantee::Public),
            ),
            (
                "GRANT EXECUTE ON FUNCTION \"Demo\".score(integer, text) TO \"select\";",
                grant(
                    &[Execute],
                    function("Demo", "score", Some("integer, text")),
                    g(Role, "select"),
                ),
            ),
            (
                "REVOKE EXECUTE ON FUNCTION s.f(character varying[], public.\"My Type\") FROM r",
                revoke(
                    &[Execute],
                    function("s", "f", Some("character varying[], public.\"My Type\"")),
                    g(Role, "r"),
                ),
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f TO r;",
                grant(&[Execute], function("s", "f", None), g(Role, "r")),
            ),
        ];
        for (sql, want) in cases {
            assert_eq!(one(sql, Postgres), want, "{sql}");
        }
    }

    #[test]
    fn keywords_and_unquoted_names_fold_like_the_server() {
        assert_eq!(
            one("grant usage on schema Demo_ML to group Analysts", Redshift),
            grant(&[Usage], schema("demo_ml"), g(Group, "analysts"))
        );
        assert_eq!(
            one("Grant Execute On Model S.M To Public;", Redshift),
            grant(&[Execute], model("s", "m"), Grantee::Public)
        );
        // A quoted name keeps its case; a quoted keyword is a name.
        assert_eq!(
            one("GRANT USAGE ON SCHEMA \"Demo\" TO \"group\";", Redshift),
            grant(&[Usage], schema("Demo"), g(User, "group"))
        );
    }

    #[test]
    fn reads_several_statements_with_comments_and_a_missing_last_semicolon() {
        let sql = "-- plan for cluster (redshift)\n\
                   -- hash: abc\n\
                   \n\
                   CREATE GROUP g; /* new */ GRANT CREATE MODEL TO GROUP g;\r\n\
                   \tGRANT USAGE\n  ON SCHEMA s\n  TO GROUP g -- trailing\n";
        assert_eq!(
            read(sql, Redshift).unwrap(),
            vec![
                Statement::CreatePrincipal {
                    principal: p(Group, "g")
                },
                grant(&[CreateModel], Securable::CreateModel, g(Group, "g")),
                grant(&[Usage], schema("s"), g(Group, "g")),
            ]
        );
        assert_eq!(read("", Redshift).unwrap(), vec![]);
        assert_eq!(read("-- only a header\n", Postgres).unwrap(), vec![]);
    }

    /// Every statement shape the renderer has, with `name` in every name position.
    fn shapes(name: &str, target: Target) -> Vec<Statement> {
        let n = name;
        let mut v = vec![
            Statement::CreatePrincipal {
                principal: p(Group, n),
            },
            Statement::CreatePrincipal {
                principal: p(Role, n),
            },
            Statement::AddMember {
                parent: p(Group, n),
                member: p(User, n),
            },
            Statement::RemoveMember {
                parent: p(Role, n),
                member: p(Role, n),
            },
            Statement::AddMember {
                parent: p(Role, n),
                member: p(User, n),
            },
            grant(&[Create, Usage], schema(n), g(Group, n)),
            revoke(&[Usage], schema(n), g(User, n)),
            grant(&[Execute], function(n, n, Some(&quote(n))), g(Role, n)),
            revoke(&[Execute], function(n, n, None), Grantee::Public),
        ];
        if target == Redshift {
            v.push(grant(&[CreateModel], Securable::CreateModel, g(Role, n)));
            v.push(revoke(&[Execute], model(n, n), g(Group, n)));
        }
        v
    }

    #[test]
    fn hostile_names_round_trip() {
        let long = "x".repeat(127);
        let hostile = [
            "Sales ML",
            "a\"b",
            "\"",
            "x; drop table y",
            "select",
            "données",
            "a.b",
            "x -- y",
            "/* z",
            "*/",
            "x */ drop table t; /*",
            ")",
            "'",
            "$$",
            "[w]",
            "#t",
            "PUBLIC_x",
            "Public ",
            long.as_str(),
        ];
        for target in [Redshift, Postgres] {
            for name in hostile {
                if name.len() > target.max_identifier_bytes() {
                    continue;
                }
                for s in shapes(name, target) {
                    let sql = s.render(target);
                    assert_eq!(read(&sql, target), Ok(vec![canonical(&s, target)]), "{sql}");
                }
            }
        }
    }

    #[test]
    fn names_longer_than_the_server_keeps_are_refused() {
        let name127 = "x".repeat(127);
        let sql = format!("GRANT USAGE ON SCHEMA {name127} TO r;");
        assert_eq!(
            one(&sql, Redshift),
            grant(&[Usage], schema(&name127), g(User, "r"))
        );
        // PostgreSQL would truncate it to 63 bytes: a different name than the one reviewed.
        let e = err(&sql, Postgres);
        assert_eq!((e.line, e.column), (1, 23));
        assert!(matches!(e.kind, ReadErrorKind::BadName { .. }), "{e}");
        assert!(e.to_string().contains("127 bytes"), "{e}");
        let e = err(&format!("CREATE ROLE \"{}\";", "é".repeat(64)), Redshift);
        assert!(e.to_string().contains("128 bytes"), "{e}");
    }

    #[test]
    fn function_arguments_are_kept_byte_for_byte() {
        for args in [
            "integer, text",
            "character varying[]",
            "public.\"My Type\"",
            "\"a)b\", \"c;d\", \"--\"",
            "timestamp without time zone, double precision",
            "numeric(10,2)",
            "integer[3]",
            "",
        ] {
            let s = grant(&[Execute], function("s", "f", Some(args)), g(User, "u"));
            for target in [Redshift, Postgres] {
                let sql = s.render(target);
                assert_eq!(one(&sql, target), canonical(&s, target), "{sql}");
            }
        }
        // Surrounding blanks are not part of the argument list.
        assert_eq!(
            one(
                "GRANT EXECUTE ON FUNCTION s.f(\n  integer ,text\t) TO u",
                Redshift
            ),
            grant(
                &[Execute],
                function("s", "f", Some("integer ,text")),
                g(User, "u")
            )
        );
    }

    /// The renderer writes `args` verbatim, and a `--catalog` snapshot is hand-editable
    /// JSON: crafted arguments render as extra SQL. The reader must refuse that text.
    #[test]
    fn crafted_function_arguments_cannot_smuggle_sql() {
        // (args, where the reader stops; `None`: an unterminated comment, a tokenizer error)
        let cases: [(&str, Option<(u64, u64)>); 5] = [
            ("integer) TO x; DROP TABLE t; --", Some((1, 46))),
            ("integer) TO x;\nDROP TABLE t; --", Some((2, 1))),
            ("int) TO x WITH GRANT OPTION; --", Some((1, 41))),
            ("int /* ", None),
            ("int) TO x /* ", None),
        ];
        for (args, at) in cases {
            let s = grant(&[Execute], function("s", "f", Some(args)), g(User, "u"));
            for target in [Redshift, Postgres] {
                let sql = s.render(target);
                let e = err(&sql, target);
                match at {
                    Some(at) => assert_eq!((e.line, e.column), at, "{sql}: {e}"),
                    None => assert!(matches!(e.kind, ReadErrorKind::Lex { .. }), "{sql}: {e}"),
                }
            }
        }
    }

    #[test]
    fn lists_of_objects_and_grantees_read_back() {
        let f = |name: &str, args: &str| Securable::Function {
            schema: "s".into(),
            name: name.into(),
            args: Some(args.into()),
        };
        let st = Statement::change_many(
            true,
            vec![Execute],
            vec![f("a", "integer"), f("B c", "text, numeric(10, 2)")],
            vec![
                Grantee::principal(Group, "g"),
                Grantee::principal(User, "u"),
                Grantee::Public,
            ],
        );
        let sql = st.render(Redshift);
        assert_eq!(
            sql,
            "GRANT EXECUTE ON FUNCTION\n    s.a(integer),\n    s.\"B c\"(text, numeric(10, 2))\n  TO\n    GROUP g,\n    u,\n    PUBLIC;"
        );
        assert_eq!(read(&sql, Redshift).unwrap(), std::slice::from_ref(&st));
        // The one-line form grantplan wrote before (plan files of then) reads the same.
        let one_line = "GRANT EXECUTE ON FUNCTION s.a(integer), s.\"B c\"(text, numeric(10, 2)) TO GROUP g, u, PUBLIC;";
        assert_eq!(read(one_line, Redshift).unwrap(), [st]);
        let schemas = Statement::change_many(
            false,
            vec![Create, Usage],
            vec![
                Securable::Schema { name: "a".into() },
                Securable::Schema { name: "b".into() },
            ],
            vec![
                Grantee::principal(Role, "r1"),
                Grantee::principal(Role, "r2"),
            ],
        );
        let sql = schemas.render(Postgres);
        assert_eq!(
            sql,
            "REVOKE CREATE, USAGE ON SCHEMA\n    a,\n    b\n  FROM\n    r1,\n    r2;"
        );
        assert_eq!(
            read(&sql, Postgres).unwrap(),
            std::slice::from_ref(&schemas)
        );
        let one_line = "REVOKE CREATE, USAGE ON SCHEMA a, b FROM r1, r2;";
        assert_eq!(read(one_line, Postgres).unwrap(), [schemas]);
        // The kind word is written once: a second one is not an object name.
        assert!(read("GRANT USAGE ON SCHEMA a, SCHEMA b TO r;", Postgres).is_err());
    }

    #[test]
    fn refuses_what_grantplan_never_writes() {
        // (sql, target, line, column, a piece of the message)
        let cases: &[(&str, Target, u64, u64, &str)] = &[
            (
                "DROP TABLE t;",
                Redshift,
                1,
                1,
                "`DROP` is not a statement grantplan writes",
            ),
            ("DROP TABLE t;", Postgres, 1, 1, "CREATE ROLE ... NOLOGIN"),
            (
                "GRANT RULE ON TABLE s.t TO x;",
                Redshift,
                1,
                7,
                "found `RULE`, expected a privilege grantplan manages (CREATE MODEL, CREATE, \
                 USAGE, EXECUTE, SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, ALTER, \
                 DROP or TEMP) or ROLE",
            ),
            (
                "GRANT TEMPORARY ON TABLE s.t TO x;",
                Postgres,
                1,
                7,
                "found `TEMPORARY`, expected a privilege grantplan manages (CREATE, USAGE, \
                 EXECUTE, SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, TEMP or \
                 CONNECT) or a role name",
            ),
            (
                "GRANT USAGE, RULE ON SCHEMA s TO x;",
                Postgres,
                1,
                14,
                "found `RULE`, expected a privilege grantplan manages (CREATE, USAGE, EXECUTE, \
                 SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, TEMP or CONNECT)",
            ),
            (
                "GRANT USAGE ON DOMAIN s.t TO x;",
                Postgres,
                1,
                16,
                "found `DOMAIN`, expected SCHEMA, FUNCTION, TABLE, SEQUENCE, PROCEDURE or DATABASE",
            ),
            (
                "GRANT USAGE ON SEQUENCE s.t TO GROUP g;",
                Redshift,
                1,
                16,
                "Redshift has no sequences",
            ),
            (
                "GRANT USAGE ON TABLE s.t TO x;",
                Postgres,
                1,
                7,
                "USAGE cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
                 DELETE, TRUNCATE, REFERENCES and TRIGGER",
            ),
            (
                "GRANT SELECT, TRIGGER ON TABLE s.t TO GROUP g;",
                Redshift,
                1,
                15,
                "TRIGGER cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
                 DELETE, TRUNCATE, REFERENCES, ALTER and DROP",
            ),
            (
                "GRANT DROP ON TABLE s.t TO x;",
                Postgres,
                1,
                7,
                "DROP cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
                 DELETE, TRUNCATE, REFERENCES and TRIGGER",
            ),
            (
                "GRANT ROLE a, b TO u;",
                Redshift,
                1,
                13,
                "one role per statement",
            ),
            (
                "GRANT a TO b, c;",
                Postgres,
                1,
                13,
                "one member per statement",
            ),
            (
                "ALTER GROUP g ADD USER a, b;",
                Redshift,
                1,
                25,
                "one user per statement",
            ),
            (
                "REVOKE USAGE ON SCHEMA s FROM x CASCADE;",
                Redshift,
                1,
                33,
                "`CASCADE` is refused",
            ),
            (
                "REVOKE USAGE ON SCHEMA s FROM x RESTRICT;",
                Postgres,
                1,
                33,
                "never writes CASCADE or RESTRICT",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO x WITH GRANT OPTION;",
                Redshift,
                1,
                30,
                "`WITH` is refused",
            ),
            (
                "GRANT r TO m WITH ADMIN OPTION;",
                Postgres,
                1,
                14,
                "`WITH` is refused",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO x GRANTED BY y;",
                Postgres,
                1,
                30,
                "GRANTED BY",
            ),
            (
                "REVOKE GRANT OPTION FOR USAGE ON SCHEMA s FROM x;",
                Redshift,
                1,
                8,
                "GRANT OPTION FOR",
            ),
            (
                "GRANT ALL PRIVILEGES ON SCHEMA s TO x;",
                Redshift,
                1,
                7,
                "ALL [PRIVILEGES]",
            ),
            (
                "GRANT ALL ON SCHEMA s TO x;",
                Postgres,
                1,
                7,
                "ALL [PRIVILEGES]",
            ),
            (
                "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA s TO x;",
                Postgres,
                1,
                18,
                "ON ALL",
            ),
            (
                "GRANT USAGE, USAGE ON SCHEMA s TO x;",
                Redshift,
                1,
                14,
                "USAGE is listed twice",
            ),
            (
                "GRANT USAGE ON MODEL s.m TO x;",
                Redshift,
                1,
                7,
                "USAGE cannot be granted on a model",
            ),
            (
                "GRANT EXECUTE ON SCHEMA s TO x;",
                Redshift,
                1,
                7,
                "EXECUTE cannot be granted on a schema",
            ),
            (
                "GRANT CREATE ON FUNCTION s.f(int) TO x;",
                Postgres,
                1,
                7,
                "CREATE cannot be granted on a function",
            ),
            (
                "GRANT CREATE MODEL, USAGE ON SCHEMA s TO x;",
                Redshift,
                1,
                21,
                "CREATE MODEL is granted on its own",
            ),
            (
                "GRANT CREATE MODEL ON SCHEMA s TO x;",
                Redshift,
                1,
                20,
                "CREATE MODEL is granted on nothing",
            ),
            ("GRANT CREATE MODEL TO g;", Postgres, 1, 7, "Redshift-only"),
            (
                "GRANT EXECUTE ON MODEL s.m TO g;",
                Postgres,
                1,
                18,
                "Redshift-only",
            ),
            ("GRANT ROLE r TO u;", Postgres, 1, 7, "Redshift-only"),
            ("ALTER GROUP g ADD USER u;", Postgres, 1, 1, "Redshift-only"),
            ("CREATE GROUP g;", Postgres, 1, 8, "Redshift-only"),
            ("CREATE ROLE r;", Postgres, 1, 14, "expected NOLOGIN"),
            (
                "CREATE ROLE r LOGIN SUPERUSER;",
                Postgres,
                1,
                15,
                "found `LOGIN`, expected NOLOGIN",
            ),
            (
                "CREATE ROLE r NOLOGIN;",
                Redshift,
                1,
                15,
                "found `NOLOGIN`, expected `;`",
            ),
            ("CREATE USER u;", Redshift, 1, 8, "never creates users"),
            ("ALTER USER u CREATEUSER;", Redshift, 1, 7, "expected GROUP"),
            (
                "GRANT r TO m;",
                Redshift,
                1,
                7,
                "found `r`, expected a privilege",
            ),
            ("GRANT ROLE r TO GROUP g;", Redshift, 1, 17, "not to groups"),
            (
                "GRANT ROLE r TO PUBLIC;",
                Redshift,
                1,
                17,
                "never grants a role to PUBLIC",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO GROUP g;",
                Postgres,
                1,
                28,
                "no GROUP/ROLE/USER",
            ),
            (
                "GRANT EXECUTE ON MODEL m TO g;",
                Redshift,
                1,
                26,
                "always writes schema.model",
            ),
            (
                "GRANT EXECUTE ON MODEL TO g;",
                Redshift,
                1,
                24,
                "the model's schema name",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO CURRENT_USER;",
                Postgres,
                1,
                28,
                "a bare keyword is not a name",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO \"public\";",
                Postgres,
                1,
                28,
                "reads the name `public` as PUBLIC",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO GROUP \"PUBLIC\";",
                Redshift,
                1,
                34,
                "as PUBLIC",
            ),
            (
                "GRANT USAGE ON SCHEMA \"\" TO x;",
                Redshift,
                1,
                23,
                "cannot be empty",
            ),
            (
                "GRANT USAGE ON SCHEMA données TO x;",
                Postgres,
                1,
                23,
                "written in double quotes",
            ),
            (
                "GRANT USAGE ON SCHEMA s#1 TO x;",
                Redshift,
                1,
                23,
                "written in double quotes",
            ),
            (
                "GRANT USAGE ON SCHEMA [s] TO x;",
                Redshift,
                1,
                23,
                "double quotes only",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO x;;",
                Redshift,
                1,
                30,
                "no statement before it",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO",
                Redshift,
                1,
                27,
                "the text ends inside a statement",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(int TO x;",
                Postgres,
                1,
                39,
                "found `;`, expected argument types",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(int TO x",
                Postgres,
                1,
                39,
                "the text ends inside a statement; expected `)` closing",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(int; DROP TABLE t) TO x;",
                Postgres,
                1,
                34,
                "found `;`",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f('x') TO x;",
                Postgres,
                1,
                31,
                "found `'x'`",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(int /* c */) TO x;",
                Redshift,
                1,
                35,
                "a comment inside an argument list",
            ),
            (
                "GRANT EXECUTE ON FUNCTION s.f(int -- c\n) TO x;",
                Postgres,
                1,
                35,
                "a comment inside an argument list",
            ),
            (
                "GRANT USAGE ON SCHEMA s TO x; /* fine */ DROP TABLE t;",
                Redshift,
                1,
                42,
                "`DROP` is not a statement",
            ),
            ("SELECT 1", Postgres, 1, 1, "`SELECT` is not a statement"),
            (
                "\"GRANT\" USAGE ON SCHEMA s TO x;",
                Redshift,
                1,
                1,
                "`\"GRANT\"` is not a statement",
            ),
        ];
        for &(sql, target, line, column, piece) in cases {
            let e = err(sql, target);
            let msg = e.to_string();
            assert_eq!(
                (e.line, e.column),
                (line, column),
                "{sql:?} on {target}: {msg}"
            );
            assert!(
                msg.contains(piece),
                "{sql:?} on {target}: {msg:?} lacks {piece:?}"
            );
        }
    }

    #[test]
    fn a_smuggled_second_statement_is_refused_where_it_stands() {
        let sql = "-- plan for prod (redshift)\n\
                   GRANT USAGE ON SCHEMA s TO x;\n\
                   \n\
                   \n\
                   \n\
                   \n\
                   DROP TABLE t;\n";
        let e = err(sql, Redshift);
        assert_eq!(
            e.to_string(),
            "line 7, column 1: `DROP` is not a statement grantplan writes; a plan file may only \
             hold GRANT, REVOKE, CREATE GROUP/ROLE and ALTER GROUP"
        );
        assert_eq!(
            e.kind,
            ReadErrorKind::NotAStatement {
                found: "`DROP`".to_string(),
                allowed: allowed_statements(Redshift),
            }
        );
        let e = err("GRANT USAGE ON SCHEMA s TO x; DROP TABLE t;", Postgres);
        assert_eq!((e.line, e.column), (1, 31));
    }

    #[test]
    fn text_the_server_might_run_is_not_hidden_in_comments_or_blanks() {
        // Redshift's tokenizer runs a `--` comment on past `\r`; the server does not.
        for target in [Redshift, Postgres] {
            let e = err("GRANT USAGE ON SCHEMA s TO x; -- ok\rDROP TABLE t;", target);
            assert_eq!(e.line, 1, "{e}");
            assert!(
                matches!(
                    e.kind,
                    ReadErrorKind::Hidden { .. } | ReadErrorKind::NotAStatement { .. }
                ),
                "{target}: {e}"
            );
        }
        let e = err("-- ok\rDROP TABLE t;", Redshift);
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.to_string().contains("carriage return"), "{e}");
        // PostgreSQL's tokenizer ends the comment at `\r`, so the DROP is seen.
        let e = err("-- ok\rDROP TABLE t;", Postgres);
        assert_eq!(e.kind.to_string().split(' ').next(), Some("`DROP`"));

        // Nested comments: where they end depends on the server.
        for target in [Redshift, Postgres] {
            let e = err("/* a /* b */ DROP TABLE t; /* c */ */", target);
            assert_eq!((e.line, e.column), (1, 1), "{target}: {e}");
            assert!(e.to_string().contains("nest"), "{e}");
        }
        // Blanks other than space, tab and line breaks.
        // Direction controls in comments can hide statements from a reviewer's eyes.
        for sql in [
            "-- note \u{202e}\nGRANT USAGE ON SCHEMA s TO PUBLIC;",
            "/* \u{2066} */ GRANT USAGE ON SCHEMA s TO PUBLIC;",
        ] {
            let e = err(sql, Postgres);
            assert_eq!((e.line, e.column), (1, 1), "{e}");
            assert!(e.to_string().contains("direction control"), "{e}");
        }
        for blank in ['\u{b}', '\u{c}'] {
            let e = err(&format!("GRANT USAGE ON SCHEMA s{blank}TO x;"), Redshift);
            assert_eq!((e.line, e.column), (1, 24), "{e}");
            assert!(matches!(e.kind, ReadErrorKind::Hidden { .. }), "{e}");
        }
    }

    #[test]
    fn unterminated_text_is_refused_with_its_start() {
        let e = err(
            "GRANT USAGE ON SCHEMA s TO x;\nGRANT USAGE ON SCHEMA \"s TO x;",
            Redshift,
        );
        assert_eq!((e.line, e.column), (2, 23), "{e}");
        assert!(matches!(e.kind, ReadErrorKind::Lex { .. }), "{e}");
        let e = err("GRANT USAGE ON SCHEMA s TO x; /* never closed", Postgres);
        assert!(matches!(e.kind, ReadErrorKind::Lex { .. }), "{e}");
        let e = err("GRANT USAGE ON SCHEMA s TO 'x", Postgres);
        assert!(matches!(e.kind, ReadErrorKind::Lex { .. }), "{e}");
    }

    /// Text that tests where the reader may cut between pieces: every construct the
    /// tokenizer decides by looking past a token's end (an exponent, `._` after a word,
    /// Redshift's `[` before blanks), tokens that touch (`"a"b`), comments, strings,
    /// several-byte characters, carriage returns, and problems of each rank (a lexing
    /// problem, a refused blank or comment, a statement that does not read).
    const CUT_TEXTS: &[&str] = &[
        "GRANT EXECUTE ON FUNCTION s.f(numeric(1e+5), x1e) TO u;\n",
        "GRANT EXECUTE ON FUNCTION s.f(1.5e-3, 1e, 1e+, .5, 1_000) TO u;\n",
        "GRANT USAGE ON SCHEMA x._y TO u;\n",
        "GRANT USAGE ON SCHEMA x ._y TO u;\n",
        "GRANT USAGE ON SCHEMA \"a\"b\"c\"d TO u;\n",
        "GRANT EXECUTE ON FUNCTION s.f(integer[       ]) TO u;\n",
        "GRANT EXECUTE ON FUNCTION s.f(integer[     \"x\"    ]) TO u;\n",
        "GRANT USAGE ON SCHEMA [   x] TO u;\n",
        "GRANT USAGE ON SCHEMA \"é日🦀\" TO \"u\u{2028}v\"; -- é日🦀\n",
        "GRANT USAGE ON SCHEMA s TO u;\r\nGRANT USAGE ON SCHEMA s TO v;\r\n",
        "GRANT USAGE ON SCHEMA s TO u; /* a\nb; */ GRANT USAGE ON SCHEMA t TO v;\n",
        "GRANT USAGE ON SCHEMA s TO 'u'; GRANT USAGE ON SCHEMA $$t$$ TO U&\"v\";\n",
        "GRANT USAGE ON SCHEMA s TO u;\u{a0}GRANT USAGE ON SCHEMA s TO v;\n",
        "GRANT USAGE ON SCHEMA s TO u; -- a\rDROP TABLE t;\n",
        "GRANT USAGE ON SCHEMA s TO u; DROP TABLE t; /* never closed\n",
        "DROP TABLE t; GRANT USAGE ON SCHEMA s TO u; -- \u{202e}x\n",
        "GRANT USAGE ON SCHEMA \"never closed; GRANT USAGE ON SCHEMA s TO u;\n",
        "GRANT USAGE\n\n\n   ON SCHEMA s\t\t TO u\n\n;\n\n",
    ];

    /// Reading in pieces of every size gives what reading the whole text gives, with the
    /// constructs of [`CUT_TEXTS`] at every distance from where a piece ends.
    #[test]
    fn pieces_of_every_size_read_tricky_text_as_the_whole() {
        let filler = "GRANT USAGE ON SCHEMA s TO u;\n";
        for target in [Redshift, Postgres] {
            let blanks = " ".repeat(LOOKAHEAD_BYTES + 8);
            let brackets = [
                format!("GRANT EXECUTE ON FUNCTION s.f(integer[{blanks}]) TO u;\n"),
                format!("GRANT EXECUTE ON FUNCTION s.f(integer[{blanks}\"x\"]) TO u;\n"),
                format!("GRANT USAGE ON SCHEMA [{blanks}x] TO u;\n"),
            ];
            for tricky in CUT_TEXTS
                .iter()
                .copied()
                .chain(brackets.iter().map(String::as_str))
            {
                // A comment of every length before it moves it past every piece end (the
                // blanks at the start of a piece are skipped, so they would not).
                for pad in 0..LOOKAHEAD_BYTES + 8 {
                    let comment = format!("/*{}*/", "x".repeat(pad));
                    for sql in [
                        format!("{comment}{tricky}{filler}{filler}"),
                        format!("{filler}{comment}\n{tricky}{filler}"),
                    ] {
                        let whole = read_whole(&sql, target);
                        for piece in [1, 2, 3, 5, 7, 9, 13, 21, 34, 55, 89, 144] {
                            assert_eq!(
                                read_in_pieces(&sql, target, piece),
                                whole,
                                "{target} piece {piece}: {sql:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A fresh tokenizer starts as if after a token that is not a word; that only matters
    /// for `._` after a word, where no piece starts, and, in dialects where names may
    /// start with digits, after `.`: neither target's dialect allows that.
    #[test]
    fn neither_dialect_reads_names_starting_with_digits() {
        assert!(!REDSHIFT.supports_numeric_prefix());
        assert!(!POSTGRES.supports_numeric_prefix());
    }

    /// Millions of blank lines, spaces or comments cost no tokens kept, and a problem
    /// after them is placed exactly.
    #[test]
    fn long_runs_of_blanks_and_comments_read_with_exact_locations() {
        let grant = "GRANT USAGE ON SCHEMA s TO u;";
        for target in [Redshift, Postgres] {
            let lines = "\n".repeat(300_000);
            let sql = format!("{grant}{lines}{grant}{lines}DROP TABLE t;");
            let e = err(&sql, target);
            assert_eq!((e.line, e.column), (600_001, 1), "{e}");
            let spaces = " ".repeat(300_000);
            let sql = format!("{grant}\n{spaces}{grant}{spaces}é DROP TABLE t;");
            let e = err(&sql, target);
            assert_eq!((e.line, e.column), (2, 600_030), "{e}");
            assert!(e.to_string().contains("`é` is not a statement"), "{e}");
            let comments = "-- é\n/* x */\n".repeat(30_000);
            let sql = format!("{comments}{grant}\n{comments}\nGRANT USAGE ON SCHEMA s TO;");
            let e = err(&sql, target);
            assert_eq!((e.line, e.column), (120_003, 27), "{e}");
            assert!(matches!(e.kind, ReadErrorKind::Unexpected { .. }), "{e}");
            let sql = format!("{lines}{grant}{comments}{spaces}\n{grant}\n{lines}");
            assert_eq!(read(&sql, target).map(|v| v.len()), Ok(2));
        }
    }

    /// A comment or quoted name of more than [`MAX_TOKEN_BYTES`] is refused where it
    /// starts. One never closed is the tokenizer's own error, as when read whole; so is
    /// a `[` before a long run of blanks, which is `[` alone unless a name follows.
    #[test]
    fn tokens_longer_than_the_limit_are_refused_where_they_start() {
        let long = "x".repeat(MAX_TOKEN_BYTES);
        let after = "GRANT USAGE ON SCHEMA s TO u;\n".repeat(5_000);
        for (sql, target) in [
            (
                format!("GRANT USAGE ON SCHEMA s TO u;\n  /* {long} */\n{after}"),
                Postgres,
            ),
            (
                format!("GRANT USAGE ON SCHEMA s TO u;\n  -- {long}\n{after}"),
                Redshift,
            ),
            (
                format!("GRANT USAGE ON SCHEMA s TO u;\n  \"{long}\"\n{after}"),
                Postgres,
            ),
            (
                format!(
                    "GRANT USAGE ON SCHEMA s TO u;\n  [{}\"x\"]\n{after}",
                    " ".repeat(MAX_TOKEN_BYTES)
                ),
                Redshift,
            ),
        ] {
            let e = err(&sql, target);
            assert_eq!(
                e.kind,
                ReadErrorKind::TooLong {
                    limit: MAX_TOKEN_BYTES
                },
                "{e}"
            );
            assert_eq!((e.line, e.column), (2, 3), "{e}");
        }
        let blanks = " ".repeat(2 * MAX_TOKEN_BYTES);
        for (sql, target) in [
            (
                format!("GRANT USAGE ON SCHEMA s TO u;\n \"x{after}"),
                Postgres,
            ),
            (
                format!("GRANT USAGE ON SCHEMA s TO u;\n '{after}"),
                Redshift,
            ),
            (
                format!("GRANT EXECUTE ON FUNCTION s.f(integer[{blanks}]) TO u;\n{after}"),
                Redshift,
            ),
            (
                format!("GRANT USAGE ON SCHEMA [{blanks}] TO u;\n{after}"),
                Redshift,
            ),
        ] {
            assert_eq!(read(&sql, target), read_whole(&sql, target), "{target}");
        }
    }

    #[test]
    fn columns_count_characters_and_found_tokens_are_escaped() {
        let e = err("GRANT USAGE ON SCHEMA \"é\u{1}\" TO x y;", Postgres);
        // `"é\u{1}"` is 4 characters (5 bytes): the `y` is character 33, byte 34.
        assert_eq!((e.line, e.column), (1, 33), "{e}");
        let e = err("GRANT USAGE ON SCHEMA s TO x \"a\nb\";", Postgres);
        assert!(e.to_string().contains("`\"a\\nb\"`"), "{e}");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for sql in [
            "(",
            ")",
            "\"",
            "'",
            "$$",
            "$1",
            "[",
            "]",
            "[\"a\"]",
            "GRANT",
            "GRANT EXECUTE ON FUNCTION s.f(((",
            "GRANT EXECUTE ON FUNCTION s.f())) TO x",
            "\0",
            "GRANT USAGE ON SCHEMA \"\0\" TO x",
            "\u{feff}GRANT",
            "é",
            "-- x\r;",
            "/*",
            "*/",
            ";",
            "GRANT EXECUTE ON FUNCTION \"s\".\"f\"(\"",
        ] {
            for target in [Redshift, Postgres] {
                assert!(read(sql, target).is_err(), "{sql:?} on {target}");
            }
        }
    }

    #[test]
    fn sqlparser_also_accepts_the_schema_and_function_forms() {
        use sqlparser::parser::Parser;
        let names = [
            "demo_ml",
            "Sales ML",
            "a\"b",
            "x; drop table y",
            "select",
            "données",
        ];
        for target in [Redshift, Postgres] {
            for n in names {
                let grantees = match target {
                    Redshift => vec![g(Group, n), g(Role, n), g(User, n), Grantee::Public],
                    Postgres => vec![g(Role, n), Grantee::Public],
                };
                for grantee in grantees {
                    let objects = [
                        (vec![Create, Usage], schema(n)),
                        (vec![Usage], schema(n)),
                        (vec![Execute], function(n, n, Some("integer, text"))),
                        (vec![Execute], function(n, n, Some(""))),
                        (vec![Execute], function(n, n, None)),
                    ];
                    for (privileges, on) in objects {
                        for s in [
                            grant(&privileges, on.clone(), grantee.clone()),
                            revoke(&privileges, on.clone(), grantee.clone()),
                        ] {
                            let sql = s.render(target);
                            let parsed = match target {
                                Redshift => Parser::parse_sql(&RedshiftSqlDialect {}, &sql),
                                Postgres => Parser::parse_sql(&PostgreSqlDialect {}, &sql),
                            };
                            assert!(parsed.is_ok(), "{target}: {sql}: {parsed:?}");
                            assert_eq!(read(&sql, target), Ok(vec![s.clone()]), "{sql}");
                        }
                    }
                }
            }
        }
    }

    // ---- properties -------------------------------------------------------------------

    /// Cuts `s` to at most `max` bytes on a character boundary.
    fn cut(mut s: String, max: usize) -> String {
        while s.len() > max {
            s.pop();
        }
        s
    }

    /// Any non-empty name without NUL that fits the target, bare-looking ones and keywords
    /// included. `public` (any case) is left out: no principal can have that name.
    pub(crate) fn any_name(target: Target) -> impl Strategy<Value = String> {
        let max = target.max_identifier_bytes();
        prop_oneof![
            "[a-z_][a-z0-9_$]{0,20}",
            prop::sample::select(vec![
                "select",
                "group",
                "role",
                "user",
                "to",
                "from",
                "on",
                "model",
                "cascade",
                "usage",
                "create",
                "execute",
                "all",
                "nologin",
                "current_user",
                "with",
                "PUBLIC_",
                "Sales ML",
                "a\"b",
                "x; drop table y",
                "-- c",
                "/* c */",
                "données",
            ])
            .prop_map(str::to_string),
            prop::collection::vec(any::<char>(), 1..40)
                .prop_map(|cs| cs.into_iter().filter(|&c| c != '\0').collect()),
            prop::collection::vec(prop::sample::select(HOSTILE), 1..40).prop_map(|v| v.concat()),
            full_name(target),
        ]
        .prop_map(move |s: String| cut(s, max))
        .prop_filter("non-empty, not public", |s| {
            !s.is_empty() && !s.eq_ignore_ascii_case("public")
        })
    }

    /// Name material hostile to quoting and to reading back: quotes, statement and comment
    /// delimiters, blanks of every kind, keywords, letters that change length or meaning
    /// when case-folded, invisible and direction-changing characters.
    const HOSTILE: &[&str] = &[
        "\"",
        "\"\"",
        ";",
        " ",
        "\t",
        "\n",
        "\r",
        "--",
        "/*",
        "*/",
        "'",
        "\\",
        "$",
        "$$",
        "$1",
        "select",
        "DROP TABLE t",
        "public",
        "PUBLIC",
        "group",
        "user",
        "to",
        "cascade",
        "é",
        "ß",
        "İ",
        "ſ",
        "Σ",
        "日本",
        "🦀",
        "\u{202e}",
        "\u{200b}",
        "\u{feff}",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{85}",
        "\u{1b}[2J",
        ".",
        ",",
        "(",
        ")",
        "[",
        "]",
        "#",
        "@",
        ":",
        "*",
        "?",
        "%",
        "0",
        "1e5",
        "_",
        "A",
        "z",
        "U&\"",
        "E'",
    ];

    /// A name of exactly the target's limit in bytes: one character repeated, then `_`.
    fn full_name(target: Target) -> impl Strategy<Value = String> {
        let max = target.max_identifier_bytes();
        prop::sample::select(vec!['a', 'Z', 'é', '日', '🦀', '"', ' ', ';', '\u{202e}']).prop_map(
            move |c| {
                let mut s = String::new();
                while s.len() + c.len_utf8() <= max {
                    s.push(c);
                }
                while s.len() < max {
                    s.push('_');
                }
                s
            },
        )
    }

    #[test]
    fn names_of_exactly_the_limit_read_back_and_one_byte_more_is_refused() {
        for target in [Redshift, Postgres] {
            let max = target.max_identifier_bytes();
            for c in ['a', 'é', '日', '🦀', '"', ' ', ';'] {
                let mut name = c.to_string().repeat(max / c.len_utf8());
                name.push_str(&"_".repeat(max - name.len()));
                assert_eq!(name.len(), max);
                let s = grant(&[Usage], schema(&name), g(Role, &name));
                let sql = s.render(target);
                assert_eq!(read(&sql, target), Ok(vec![canonical(&s, target)]), "{sql}");
                let longer = format!("{name}x");
                let sql = grant(&[Usage], schema(&longer), g(Role, "r")).render(target);
                let e = err(&sql, target);
                assert!(matches!(e.kind, ReadErrorKind::BadName { .. }), "{e}");
                assert!(e.to_string().contains(&format!("{} bytes", max + 1)), "{e}");
            }
        }
    }

    fn any_args(target: Target) -> impl Strategy<Value = Option<String>> {
        let one = prop_oneof![
            prop::sample::select(vec![
                "integer",
                "text",
                "character varying[]",
                "double precision",
                "timestamp without time zone",
                "\"char\"",
                "integer[]",
            ])
            .prop_map(str::to_string),
            any_name(target).prop_map(|n| quote(&n).into_owned()),
            (any_name(target), any_name(target)).prop_map(|(a, b)| qualified(&a, &b)),
        ];
        prop_oneof![
            Just(None),
            prop::collection::vec(one, 0..4).prop_map(|v| Some(v.join(", "))),
        ]
    }

    fn any_principal(target: Target) -> impl Strategy<Value = Principal> {
        (
            prop::sample::select(vec![Group, Role, User]),
            any_name(target),
        )
            .prop_map(|(k, n)| Principal::new(k, n))
    }

    /// Any statement the planner can build for `target` (users are never created; a
    /// group's members are users; a role's members are users or roles).
    pub(crate) fn any_statement(target: Target) -> BoxedStrategy<Statement> {
        let name = || any_name(target);
        let grantee = prop_oneof![
            1 => Just(Grantee::Public),
            4 => any_principal(target).prop_map(Grantee::Principal),
        ];
        // One to three objects of one kind (and grantees, below): a statement naming more
        // than one of either is laid out one per line (`crate::sql`).
        let some = || 1..4usize;
        // Every kind of the target, from the kind table: some of the privileges it takes
        // there, on one to three objects with any names (and argument lists).
        let mut objects = Vec::new();
        for kind in ObjectKind::ALL.into_iter().filter(|k| k.exists_on(target)) {
            let privileges: Vec<Privilege> = kind
                .privileges()
                .filter(|&p| kind.allows_on(p, target))
                .collect();
            let n = privileges.len();
            let object = (name(), name(), any_args(target)).prop_map(move |(a, b, args)| {
                kind.object(a, b, args.filter(|_| kind.info().has_args))
            });
            objects.push(
                (
                    prop::sample::subsequence(privileges, 1..=n),
                    prop::collection::vec(object, some()),
                )
                    .boxed(),
            );
        }
        if target == Redshift {
            objects.push((Just(vec![CreateModel]), Just(vec![Securable::CreateModel])).boxed());
            // An IAM role, by ARN or the cluster's default, for one or more purposes.
            let arn = prop::option::of(
                "arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,30}",
            );
            objects.push(
                (
                    prop::sample::subsequence(Privilege::PURPOSES.to_vec(), 1..=4),
                    arn.prop_map(|arn| vec![Securable::IamRole { arn }]),
                )
                    .boxed(),
            );
        }
        // Default privileges: one role's (and schema's) future objects of one kind a
        // statement.
        for of in ObjectKind::ALL
            .into_iter()
            .filter(|k| k.defaults_sql(target).is_some())
        {
            // What both GRANT and REVOKE take (Redshift's GRANT alone takes DROP: the
            // unit case above).
            let privileges: Vec<Privilege> = of
                .privileges()
                .filter(|&p| of.defaults_revocable(p, target))
                .collect();
            let n = privileges.len();
            let default = (name(), prop::option::of(name()))
                .prop_map(move |(role, schema)| vec![Securable::Default { role, schema, of }]);
            objects.push((prop::sample::subsequence(privileges, 1..=n), default).boxed());
        }
        let privileges_on = prop::strategy::Union::new(objects);
        let create_kinds = match target {
            Redshift => vec![Group, Role],
            Postgres => vec![Group, Role, User],
        };
        let membership = match target {
            Redshift => prop_oneof![
                (name(), name()).prop_map(|(a, b)| (p(Group, &a), p(User, &b))),
                (name(), prop::sample::select(vec![User, Role]), name())
                    .prop_map(|(a, k, b)| (p(Role, &a), p(k, &b))),
            ]
            .boxed(),
            Postgres => (any_principal(target), any_principal(target)).boxed(),
        };
        prop_oneof![
            (prop::sample::select(create_kinds), name()).prop_map(|(k, n)| {
                Statement::CreatePrincipal {
                    principal: Principal::new(k, n),
                }
            }),
            (membership, any::<bool>()).prop_map(|((parent, member), add)| if add {
                Statement::AddMember { parent, member }
            } else {
                Statement::RemoveMember { parent, member }
            }),
            (
                privileges_on,
                prop::collection::vec(grantee, some()),
                any::<bool>()
            )
                .prop_map(|((privileges, on), grantees, is_grant)| {
                    Statement::change_many(is_grant, privileges, on, grantees)
                }),
        ]
        .boxed()
    }

    /// A statement with its target: Redshift's system permissions go to roles only.
    fn any_target_statement() -> impl Strategy<Value = (Target, Statement)> {
        let system = (
            prop::sample::subsequence(Privilege::SYSTEM.to_vec(), 1..=4),
            prop::collection::vec(
                any_name(Redshift).prop_map(|n| Grantee::principal(Role, n)),
                1..=3,
            ),
            any::<bool>(),
        )
            .prop_map(|(privileges, grantees, grant)| {
                (
                    Redshift,
                    Statement::change_many(grant, privileges, vec![Securable::System], grantees),
                )
            });
        prop_oneof![
            any_statement(Redshift).prop_map(|s| (Redshift, s)),
            any_statement(Postgres).prop_map(|s| (Postgres, s)),
            system,
        ]
    }

    /// What may stand between statements: nothing, a blank line, a `--` or `/* */` comment.
    fn any_separator() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("\n".to_string()),
            "[^\n\r]{0,30}"
                .prop_filter("no direction controls", |c| !c.chars().any(is_bidi_control))
                .prop_map(|c| format!("-- {c}\n")),
            "[^\n\r]{0,30}"
                .prop_filter("no comment delimiters or direction controls", |c| {
                    !c.contains("*/")
                        && !c.contains("/*")
                        && !c.ends_with('/')
                        && !c.chars().any(is_bidi_control)
                })
                .prop_map(|c| format!("/* {c} */ ")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn read_inverts_render((target, s) in any_target_statement()) {
            let sql = s.render(target);
            prop_assert_eq!(read(&sql, target), Ok(vec![canonical(&s, target)]), "{}", sql);
        }

        #[test]
        fn a_whole_plan_reads_back_in_order(
            target in prop_oneof![Just(Redshift), Just(Postgres)],
            seed in prop::collection::vec((any_separator(), any::<bool>()), 1..12),
            statements in prop::collection::vec(any_statement(Redshift), 1..12),
            pg_statements in prop::collection::vec(any_statement(Postgres), 1..12),
        ) {
            let statements = if target == Redshift { statements } else { pg_statements };
            let mut sql = String::from("-- plan for test\n-- catalog: abc\n");
            for (i, s) in statements.iter().enumerate() {
                let (sep, newline) = &seed[i % seed.len()];
                sql.push_str(sep);
                let mut rendered = s.render(target);
                if i + 1 == statements.len() && *newline {
                    rendered.pop(); // the last `;` may be missing
                }
                sql.push_str(&rendered);
                sql.push('\n');
            }
            let want: Vec<_> = statements.iter().map(|s| canonical(s, target)).collect();
            prop_assert_eq!(read(&sql, target), Ok(want), "{}", sql);
        }

        /// sqlparser's own parser, an oracle independent of this reader, reads the names
        /// of a PostgreSQL schema grant or revoke back exactly.
        #[test]
        fn sqlparser_reads_back_the_same_names(
            schema in any_name(Postgres),
            role in any_name(Postgres),
            is_grant in any::<bool>(),
        ) {
            use sqlparser::ast::{self, GrantObjects, GranteeName, ObjectNamePart};
            use sqlparser::parser::Parser;
            let s = Statement::change(
                is_grant,
                vec![Usage],
                Securable::Schema { name: schema.clone() },
                g(Role, &role),
            );
            let sql = s.render(Postgres);
            let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
                .map_err(|e| TestCaseError::fail(format!("{sql}: {e}")))?;
            prop_assert_eq!(parsed.len(), 1, "{}", sql);
            let (objects, grantees) = match &parsed[0] {
                ast::Statement::Grant(g) => (&g.objects, &g.grantees),
                ast::Statement::Revoke(r) => (&r.objects, &r.grantees),
                other => return Err(TestCaseError::fail(format!("{sql}: {other:?}"))),
            };
            let one = |n: &ast::ObjectName| match n.0.as_slice() {
                [ObjectNamePart::Identifier(i)] => Some(i.value.clone()),
                _ => None,
            };
            let schemas: Vec<_> = match objects {
                Some(GrantObjects::Schemas(names)) => names.iter().map(one).collect(),
                other => return Err(TestCaseError::fail(format!("{sql}: {other:?}"))),
            };
            prop_assert_eq!(schemas, vec![Some(schema)], "{}", sql);
            let roles: Vec<_> = grantees
                .iter()
                .map(|g| match &g.name {
                    Some(GranteeName::ObjectName(n)) => one(n),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(roles, vec![Some(role)], "{}", sql);
        }

        #[test]
        fn arbitrary_text_never_panics(sql in "\\PC{0,80}", redshift in any::<bool>()) {
            let target = if redshift { Redshift } else { Postgres };
            let _ = read(&sql, target);
        }
    }

    proptest! {
        /// Reading in pieces ([`read_in_pieces`]) gives exactly what reading the whole
        /// text at once gives, statements or error, whatever the piece size: with names
        /// and comments that hold `;` and line breaks (a cut inside them must not be
        /// taken) and with broken statements mixed in (the error must be the whole
        /// text's, with its line).
        #[test]
        fn reading_in_pieces_is_reading_the_whole(
            target in prop_oneof![Just(Redshift), Just(Postgres)],
            statements in prop::collection::vec(any_statement(Redshift), 1..16),
            pg_statements in prop::collection::vec(any_statement(Postgres), 1..16),
            tricky in prop::collection::vec(prop::sample::select(vec![
                "",
                "",
                "",
                "-- note;\n",
                "/* a;\nb */ ",
                "GRANT USAGE ON SCHEMA \"x;\ny\" TO \"r;\n\";\n",
                "GRANT USAGE ON SCHEMA s TO r -- no end;\n",
                ";\n",
                "GRANT\n",
                "DROP TABLE t;\n",
                "\"open;\n",
                "x._y ",
                "\"a\"b ",
                "s.f(1e+5) ",
                "[   \"x\"] ",
                "-- a\rb\n",
            ]), 16),
            piece in prop_oneof![Just(0usize), Just(1), 2usize..400],
        ) {
            let statements = if target == Redshift { statements } else { pg_statements };
            let mut sql = String::new();
            for (s, extra) in statements.iter().zip(&tricky) {
                sql.push_str(extra);
                sql.push_str(&s.render(target));
                sql.push('\n');
            }
            let whole = read_whole(&sql, target);
            prop_assert_eq!(read_in_pieces(&sql, target, piece), whole, "{:?}", sql);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// The same for any run of lexer-level fragments (words, numbers, quotes,
        /// brackets, operators, comments, blanks of every kind), valid or not: where a
        /// piece is cut never changes what the tokenizer makes of the text.
        #[test]
        fn fragments_read_in_pieces_as_whole(
            redshift in any::<bool>(),
            fragments in prop::collection::vec(prop::sample::select(vec![
                "GRANT ", "USAGE ", "ON ", "SCHEMA ", "TO ", "FUNCTION ", "s.f(", ")", "(",
                ";", ";\n", ",", ".", "._", "_", "x", "x1", "1", "1e", "1e+", "1e+5", "e", "+",
                "-", "--", "-- c\n", "/*", "*/", "/* c */", "\"", "\"\"", "\"q\"", "'", "''",
                "$$", "$1", "$a$", "U&", "E'", "[", "]", "[ ", " ]", "#", "@", "<", "->", "::",
                " ", "  ", "\t", "\n", "\r", "\r\n", "\u{a0}", "\u{2028}", "\u{3000}", "é",
                "日", "🦀", "\u{202e}", "\0",
            ]), 0..300),
            piece in 1usize..400,
        ) {
            let target = if redshift { Redshift } else { Postgres };
            let sql = fragments.concat();
            let whole = read_whole(&sql, target);
            prop_assert_eq!(read_in_pieces(&sql, target, piece), whole, "{:?}", sql);
        }
    }
}
