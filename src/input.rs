//! Reading the files a user hands to grantplan (grants.yaml, plan files) with a bound.
//!
//! `std::fs::read_to_string` reads whatever it is given: a 10 GB file, `/dev/zero`, a
//! pipe that never ends. grantplan refuses a file larger than its limit
//! ([`crate::config::MAX_FILE_BYTES`], [`crate::planfile::MAX_FILE_BYTES`]) before
//! holding it in memory: the size of a regular file is checked first, and every read
//! stops one byte past the limit, so devices and pipes are bounded too.

use std::io::Read;
use std::path::Path;

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadTextError {
    /// It could not be opened or read (missing, a directory, no permission).
    Io(String),
    /// It holds more than `limit` bytes; `size` is its size when known (a regular
    /// file), `None` for a device or pipe that went on past the limit.
    TooLarge { size: Option<u64>, limit: u64 },
    /// It is not UTF-8: the first invalid byte is at this 1-based line and column
    /// (the column counts characters).
    NotUtf8 {
        line: usize,
        column: usize,
        byte: u8,
    },
}

impl ReadTextError {
    /// A sentence about `shown`, the file as messages name it (`grants.yaml`,
    /// `plan file plans/x.sql`).
    pub fn describe(&self, shown: &str) -> String {
        match self {
            ReadTextError::Io(e) => format!("cannot read {shown}: {e}"),
            ReadTextError::TooLarge { size, limit } => {
                let size = match size {
                    Some(n) => format!("is {}", mib(*n)),
                    None => format!("holds more than {}", mib(*limit)),
                };
                format!(
                    "{shown} {size}; grantplan reads files of at most {} and refused to \
                     read it",
                    mib(*limit)
                )
            }
            ReadTextError::NotUtf8 { line, column, byte } => format!(
                "{shown} is not UTF-8 text: line {line}, column {column} holds the byte \
                 0x{byte:02X}"
            ),
        }
    }
}

/// `12.3 MiB`, or `900 bytes` below one MiB.
fn mib(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// Reads `path` as UTF-8 text of at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadTextError> {
    let file = std::fs::File::open(path).map_err(|e| ReadTextError::Io(e.to_string()))?;
    let meta = file
        .metadata()
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    if meta.is_dir() {
        return Err(ReadTextError::Io("it is a directory".to_string()));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(ReadTextError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        0
    });
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        // A regular file that grew while being read, or a device or pipe.
        return Err(ReadTextError::TooLarge { size: None, limit });
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        // Everything before `at` is valid UTF-8.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        ReadTextError::NotUtf8 {
            line,
            column,
            byte: bytes[at],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn text_within_the_limit_is_read_whole() {
        let f = file_with("target: postgres\n# données\n".as_bytes());
        assert_eq!(
            read_text(f.path(), 28).unwrap(),
            "target: postgres\n# données\n"
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_its_size() {
        let f = file_with(&[b'a'; 29]);
        assert_eq!(
            read_text(f.path(), 28),
            Err(ReadTextError::TooLarge {
                size: Some(29),
                limit: 28
            })
        );
        let e = ReadTextError::TooLarge {
            size: Some(70 * 1024 * 1024),
            limit: 64 * 1024 * 1024,
        };
        assert_eq!(
            e.describe("big.yaml"),
            "big.yaml is 70.0 MiB; grantplan reads files of at most 64.0 MiB and refused \
             to read it"
        );
    }

    #[test]
    fn an_endless_device_is_refused_after_the_limit() {
        // /dev/zero has no size and never ends: the read stops one byte past the limit.
        let e = read_text(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(
            e,
            ReadTextError::TooLarge {
                size: None,
                limit: 1024
            }
        );
        assert_eq!(
            e.describe("plan file /dev/zero"),
            "plan file /dev/zero holds more than 1024 bytes; grantplan reads files of at \
             most 1024 bytes and refused to read it"
        );
    }

    #[test]
    fn invalid_utf8_names_line_column_and_byte() {
        let f = file_with(b"target: postgres\ngroups:\n  d\xc3\xa9j\xff: {}\n");
        let e = read_text(f.path(), 1000).unwrap_err();
        assert_eq!(
            e,
            ReadTextError::NotUtf8 {
                line: 3,
                column: 6,
                byte: 0xFF
            }
        );
        assert_eq!(
            e.describe("g.yaml"),
            "g.yaml is not UTF-8 text: line 3, column 6 holds the byte 0xFF"
        );
    }

    #[test]
    fn missing_files_and_directories_are_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_text(&dir.path().join("nope.yaml"), 10),
            Err(ReadTextError::Io(_))
        ));
        assert_eq!(
            read_text(dir.path(), 10),
            Err(ReadTextError::Io("it is a directory".to_string()))
        );
    }
}
