//! Reading the files a user hands to grantplan (grants.yaml, plan files, snapshots, CA
//! files, the password file) with a bound, and only when they are regular files.
//!
//! `std::fs::read_to_string` reads whatever it is given: a 10 GB file, `/dev/zero`, a
//! pipe that never ends, and a named pipe (FIFO) that nobody writes to, where even the
//! `open` blocks forever, waiting for a writer. grantplan reads only regular files:
//!
//! - the path is checked with `stat` before it is opened, so a FIFO or a device is
//!   refused without being opened at all (opening some devices has effects of its own);
//! - it is opened with `O_NONBLOCK`, so that if the path is swapped for a FIFO between the
//!   check and the `open`, the `open` still returns at once, and the opened handle is
//!   checked again with `fstat`: what is read is what was checked;
//! - a file larger than its limit ([`crate::config::MAX_FILE_BYTES`],
//!   [`crate::planfile::MAX_FILE_BYTES`], ...) is refused by its size before it is held
//!   in memory, and every read stops one byte past the limit, so a file that grows while
//!   it is read is bounded too.
//!
//! Standard input is not read this way: `-f /dev/stdin` on a pipe is a FIFO, refused
//! like any other; save the text to a file and pass that.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadTextError {
    /// It could not be opened or read (missing, no permission).
    Io(String),
    /// It is not a regular file: a directory, a FIFO, a socket, a device. `kind` says
    /// which (`a directory`, `a named pipe (FIFO)`).
    NotRegular { kind: &'static str },
    /// It holds more than `limit` bytes; `size` is its size when known, `None` for a
    /// file that went on past the limit while it was read (it grew).
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
            ReadTextError::NotRegular { kind } => format!(
                "{shown} is {kind}, not a regular file; grantplan reads only regular files \
                 (a pipe or a device could make it wait forever or read without end): \
                 {}",
                if *kind == DIRECTORY {
                    "name the file itself"
                } else {
                    "save the contents to a file and pass that file"
                }
            ),
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

const DIRECTORY: &str = "a directory";

/// `12.3 MiB`, or `900 bytes` below one MiB.
fn mib(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// What a file that is not a regular file is, in words; `None` for a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some(DIRECTORY);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a file")
}

/// Opens `path` for reading if, and only if, it is a regular file (a symbolic link to
/// one is fine), without ever blocking: see the module documentation. Returns the open
/// file and its metadata, read from the open handle.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), ReadTextError> {
    // Before opening: a FIFO's open would wait for a writer, a device's may do anything.
    let meta = std::fs::metadata(path).map_err(|e| ReadTextError::Io(e.to_string()))?;
    if let Some(kind) = not_regular(&meta) {
        return Err(ReadTextError::NotRegular { kind });
    }
    open_checked(path)
}

/// The `open` and `fstat` of [`open_regular`], without the check before: on its own it
/// still never blocks and never returns anything but a regular file.
fn open_checked(path: &Path) -> Result<(File, Metadata), ReadTextError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: the path may have become a FIFO since it was checked, and opening
        // a FIFO without it waits for a writer. O_NOCTTY: nor may a terminal swapped in
        // become this process's controlling terminal.
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        options.custom_flags(flags.bits() as i32);
    }
    let file = options
        .open(path)
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    // The handle's own metadata: whatever the path names now, this is what is read.
    let meta = file
        .metadata()
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    if let Some(kind) = not_regular(&meta) {
        return Err(ReadTextError::NotRegular { kind });
    }
    #[cfg(unix)]
    blocking(&file)?;
    Ok((file, meta))
}

/// Clears `O_NONBLOCK` on a regular file's handle. Linux ignores the flag for regular
/// files, but POSIX leaves it open (mandatory locks, some network file systems could
/// answer EAGAIN), and the reads below expect blocking semantics.
#[cfg(unix)]
fn blocking(file: &File) -> Result<(), ReadTextError> {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    fcntl_getfl(file)
        .and_then(|flags| fcntl_setfl(file, flags - OFlags::NONBLOCK))
        .map_err(|e| ReadTextError::Io(std::io::Error::from(e).to_string()))
}

/// Reads the regular file at `path` whole, when it holds at most `limit` bytes.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadTextError> {
    let (file, meta) = open_regular(path)?;
    read_open(file, &meta, limit)
}

/// Reads an opened regular file of at most `limit` bytes.
pub fn read_open(file: File, meta: &Metadata, limit: u64) -> Result<Vec<u8>, ReadTextError> {
    if meta.len() > limit {
        return Err(ReadTextError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        // It grew while it was read.
        return Err(ReadTextError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// The name diagnostics give standard input read with `-f -`.
pub const STDIN_NAME: &str = "<stdin>";

/// Standard input, once read by [`read_stdin_text`]: kept so that diagnostics can show
/// its lines (it cannot be read twice).
static STDIN_TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Reads standard input (`-f -`) as UTF-8 text of at most `limit` bytes: a pipe is read
/// to its end, as `cat` would, bounded like a file. Read once per process.
pub fn read_stdin_text(limit: u64) -> Result<String, ReadTextError> {
    use std::io::Read;
    if let Some(text) = STDIN_TEXT.get() {
        return Ok(text.clone());
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadTextError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(ReadTextError::TooLarge { size: None, limit });
    }
    let text = utf8(bytes)?;
    Ok(STDIN_TEXT.get_or_init(|| text).clone())
}

/// Standard input as [`read_stdin_text`] read it, if it did.
pub fn stdin_text() -> Option<&'static str> {
    STDIN_TEXT.get().map(String::as_str)
}

/// Reads `path` as UTF-8 text of at most `limit` bytes; only a regular file is read.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadTextError> {
    utf8(read_bytes(path, limit)?)
}

/// `bytes` as text, or where they stop being UTF-8.
fn utf8(bytes: Vec<u8>) -> Result<String, ReadTextError> {
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
    use std::time::Duration;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// `f()` on another thread, failing (not hanging) the test when it blocks.
    fn within_seconds<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("blocked for 10 s: a FIFO was opened or read")
    }

    fn mkfifo(path: &Path) {
        use rustix::fs::{mknodat, FileType, Mode, CWD};
        mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o600), 0).expect("mkfifo");
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
        // A file that grew past the limit while it was read.
        assert_eq!(
            ReadTextError::TooLarge {
                size: None,
                limit: 1024
            }
            .describe("plan file p.sql"),
            "plan file p.sql holds more than 1024 bytes; grantplan reads files of at most \
             1024 bytes and refused to read it"
        );
    }

    #[test]
    fn devices_are_refused_unopened() {
        // /dev/zero never ends, /dev/null is empty: neither is a file anyone meant.
        for dev in ["/dev/zero", "/dev/null"] {
            let e = read_text(Path::new(dev), 1024).unwrap_err();
            assert_eq!(
                e,
                ReadTextError::NotRegular {
                    kind: "a character device"
                }
            );
            assert_eq!(
                e.describe(&format!("plan file {dev}")),
                format!(
                    "plan file {dev} is a character device, not a regular file; grantplan \
                     reads only regular files (a pipe or a device could make it wait \
                     forever or read without end): save the contents to a file and pass \
                     that file"
                )
            );
        }
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("grants.yaml");
        mkfifo(&fifo);
        let path = fifo.clone();
        let e = within_seconds(move || read_text(&path, 1024)).unwrap_err();
        assert_eq!(
            e,
            ReadTextError::NotRegular {
                kind: "a named pipe (FIFO)"
            }
        );
        // The open and fstat alone (a path swapped for a FIFO after the check): O_NONBLOCK
        // makes the open return at once, and the handle's fstat refuses it.
        let e = within_seconds(move || open_checked(&fifo).map(|_| ())).unwrap_err();
        assert_eq!(
            e,
            ReadTextError::NotRegular {
                kind: "a named pipe (FIFO)"
            }
        );
    }

    #[test]
    fn a_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert_eq!(
            read_text(&path, 10),
            Err(ReadTextError::NotRegular { kind: "a socket" })
        );
    }

    #[test]
    fn a_symbolic_link_to_a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.yaml");
        std::fs::write(&target, "target: postgres\n").unwrap();
        let link = dir.path().join("grants.yaml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read_text(&link, 100).unwrap(), "target: postgres\n");
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
    fn missing_files_are_io_errors_and_directories_not_regular() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_text(&dir.path().join("nope.yaml"), 10),
            Err(ReadTextError::Io(_))
        ));
        let e = read_text(dir.path(), 10).unwrap_err();
        assert_eq!(
            e,
            ReadTextError::NotRegular {
                kind: "a directory"
            }
        );
        assert_eq!(
            e.describe("grants.yaml"),
            "grants.yaml is a directory, not a regular file; grantplan reads only regular \
             files (a pipe or a device could make it wait forever or read without end): \
             name the file itself"
        );
    }
}
