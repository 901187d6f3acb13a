//! Writing the files grantplan creates (`--out` of `plan`, `snapshot`, `export`, `iam`):
//! one helper, so that every one of them keeps the same promises.
//!
//! - **An existing file is never replaced by accident.** A hand-edited grants.yaml was
//!   lost to `export --out` overwriting it. A file is created new (`O_CREAT | O_EXCL`,
//!   [`std::fs::OpenOptions::create_new`]), and an existing path, whatever it is, is
//!   refused with a message naming it, unless the command was given `--force`
//!   ([`IfExists::Replace`]).
//! - **Nothing is ever written through a symbolic link.** `O_EXCL` fails on a symbolic
//!   link, even a dangling one, instead of following it; so a link planted where the
//!   output goes (pointing at `~/.bashrc`, or at a file that does not exist yet) can
//!   neither overwrite nor create its target.
//! - **`--force` replaces the name, not what it points at.** The new contents are written
//!   to a temporary file in the same directory (created with `O_EXCL` too), synced, and
//!   renamed over the destination. `rename` replaces the directory entry itself: a
//!   symbolic link is replaced by the new file and its target is left untouched, a hard
//!   link's other names keep the old contents, and a reader never sees a half-written
//!   file. A directory is never replaced.
//! - **A failed write leaves nothing behind** that could pass for a complete file (a
//!   truncated grants.yaml would plan revokes): the partial file is removed.
//!
//! The new file gets the default permissions (`0666` less the umask); replacing a file
//! does not carry over the old one's mode or owner.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to do when the destination already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse it; the message says that `--force` replaces it (`snapshot`, `export`,
    /// `iam`).
    Refuse,
    /// Refuse it, and nothing replaces it (`plan --out`: a reviewed plan file is what
    /// was reviewed, and a new plan gets a new name).
    RefuseAlways,
    /// Replace it by renaming a new file over it (`--force`); never a directory.
    Replace,
}

/// Why a file was not written. Its `Display` is the message the CLI prints; the
/// variants carry the path and the operating system's error, so that a caller can tell
/// a refusal (an existing path, by design) from a failure (a full disk).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `path` exists as `existing` and `if_exists` does not let it be replaced.
    #[error("{}", refusal_message(.path, .existing, *.if_exists))]
    Refused {
        path: PathBuf,
        existing: Existing,
        if_exists: IfExists,
    },
    /// The new file could not be created.
    #[error("cannot write {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Filling the new file failed; the partial file was removed.
    #[error("cannot write {}: {source}; the incomplete file was removed", .path.display())]
    Incomplete {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--force` with a path that names no file (`..`, `/`).
    #[error("cannot write {}: it does not name a file", .path.display())]
    NoFileName { path: PathBuf },
    /// `--force`: no temporary file could be created in `dir`. `source` is the last
    /// error; `None` only if no attempt was made.
    #[error(
        "cannot write {}: cannot create a temporary file in {}: {}",
        .path.display(),
        .dir.display(),
        .source.as_ref().map_or_else(String::new, ToString::to_string)
    )]
    Temporary {
        path: PathBuf,
        dir: PathBuf,
        source: Option<std::io::Error>,
    },
    /// `--force`: filling the temporary file failed; `path` was not touched.
    #[error("cannot write {}: {source}; it was left as it was", .path.display())]
    NotReplaced {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--force`: the rename over `path` failed; `path` was not touched.
    #[error("cannot replace {}: {source}; it was left as it was", .path.display())]
    Rename {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What is already at a refused path (not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Never replaced, whatever [`IfExists`] says.
    Directory,
    /// A symbolic link, and where it points (`None` when that cannot be read).
    Link { to: Option<PathBuf> },
    /// Anything else: a file, a FIFO, a device.
    File,
}

/// Checks `path` before any work is done (a connection, a catalog read), so that a
/// destination that will be refused is refused first. [`write()`] checks again when it
/// writes: this is only the early, friendly answer.
pub fn check(path: &Path, if_exists: IfExists) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => refusal(path, &meta, if_exists).map_or(Ok(()), Err),
        Err(_) => Ok(()),
    }
}

/// Writes the file at `path` with what `fill` writes, under the promises of the module
/// documentation. `fill` gets a buffered writer; the file is flushed and synced to disk
/// before it is given its name (with `--force`) or declared written.
pub fn write(
    path: &Path,
    if_exists: IfExists,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    match if_exists {
        IfExists::Refuse | IfExists::RefuseAlways => {
            let file = match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(std::fs::symlink_metadata(path)
                        .ok()
                        .and_then(|meta| refusal(path, &meta, if_exists))
                        .unwrap_or_else(|| Error::Create {
                            path: path.to_path_buf(),
                            source: e,
                        }));
                }
                Err(source) => {
                    return Err(Error::Create {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            };
            if let Err(source) = fill_and_sync(&file, fill) {
                remove_if_ours(path, &file);
                return Err(Error::Incomplete {
                    path: path.to_path_buf(),
                    source,
                });
            }
            sync_directory(path);
            Ok(())
        }
        IfExists::Replace => replace(path, fill),
    }
}

/// `--force`: a temporary file beside `path`, renamed over it.
fn replace(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if let Some(refused) = refusal(path, &meta, IfExists::Replace) {
            return Err(refused);
        }
    }
    if path.file_name().is_none() {
        return Err(Error::NoFileName {
            path: path.to_path_buf(),
        });
    }
    let (temp, file) = temporary_beside(path)?;
    let written = fill_and_sync(&file, fill);
    drop(file);
    let result = written
        .map_err(|source| Error::NotReplaced {
            path: path.to_path_buf(),
            source,
        })
        .and_then(|()| {
            // rename(2) replaces the entry `path` itself, whatever it is (a file, a
            // symbolic link), and fails on a directory put there since the check.
            std::fs::rename(&temp, path).map_err(|source| Error::Rename {
                path: path.to_path_buf(),
                source,
            })
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    } else {
        sync_directory(path);
    }
    result
}

/// A new file in `path`'s directory, named after grantplan and this process, created
/// with `O_EXCL` (so never through a link another user planted there).
fn temporary_beside(path: &Path) -> Result<(PathBuf, File), Error> {
    let dir = parent(path);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for attempt in 0..100u32 {
        let temp = dir.join(format!(
            ".grantplan-{}-{}.tmp",
            std::process::id(),
            nanos.wrapping_add(attempt)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(Error::Temporary {
                    path: path.to_path_buf(),
                    dir: dir.to_path_buf(),
                    source: Some(e),
                })
            }
        }
    }
    Err(Error::Temporary {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
        source: last,
    })
}

/// The directory `path` is in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn fill_and_sync(
    file: &File,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut w = BufWriter::new(file);
    fill(&mut w)?;
    w.flush()?;
    file.sync_all()
}

/// Makes the new name durable too (its directory entry); best effort, as some file
/// systems cannot sync a directory.
fn sync_directory(path: &Path) {
    if let Ok(dir) = File::open(parent(path)) {
        let _ = dir.sync_all();
    }
}

/// Removes the file this process created at `path` and failed to fill, unless the name
/// has meanwhile been given to another file.
fn remove_if_ours(path: &Path, file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let same = match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        if same {
            let _ = std::fs::remove_file(path);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        let _ = std::fs::remove_file(path);
    }
}

/// Why `path`, which exists as `meta` describes (not followed), is refused; `None` when
/// it may be replaced.
fn refusal(path: &Path, meta: &Metadata, if_exists: IfExists) -> Option<Error> {
    let kind = meta.file_type();
    let existing = if kind.is_dir() {
        Existing::Directory
    } else if kind.is_symlink() {
        Existing::Link {
            to: std::fs::read_link(path).ok(),
        }
    } else {
        Existing::File
    };
    let refused = existing == Existing::Directory || if_exists != IfExists::Replace;
    refused.then(|| Error::Refused {
        path: path.to_path_buf(),
        existing,
        if_exists,
    })
}

/// [`Error::Refused`]'s message.
fn refusal_message(path: &Path, existing: &Existing, if_exists: IfExists) -> String {
    let shown = path.display();
    let (what, replaced) = match existing {
        Existing::Directory => {
            return format!(
                "{shown} is a directory; grantplan never replaces a directory: name a file to \
                 write"
            )
        }
        Existing::Link { to } => {
            let to = to
                .as_ref()
                .map_or_else(|| "its target".to_string(), |to| to.display().to_string());
            (
                format!(
                    "{shown} already exists as a symbolic link (to {to}); grantplan never \
                     writes through a symbolic link"
                ),
                format!("the link itself ({to} is left alone)"),
            )
        }
        Existing::File => (
            format!("{shown} already exists; grantplan never overwrites a file"),
            "it".to_string(),
        ),
    };
    match if_exists {
        IfExists::Refuse | IfExists::Replace => {
            format!("{what}: pass --force to replace {replaced}, or choose another path")
        }
        IfExists::RefuseAlways => format!("{what}: choose another path"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn hello(w: &mut dyn Write) -> std::io::Result<()> {
        w.write_all(b"hello\n")
    }

    /// The names in `dir`, sorted: to see that no temporary file is left behind.
    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_new_file_is_written_in_every_mode() {
        let dir = tempfile::tempdir().unwrap();
        for (name, mode) in [
            ("a", IfExists::Refuse),
            ("b", IfExists::RefuseAlways),
            ("c", IfExists::Replace),
        ] {
            let path = dir.path().join(name);
            check(&path, mode).unwrap();
            write(&path, mode, hello).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"hello\n");
        }
        assert_eq!(names(dir.path()), ["a", "b", "c"]);
    }

    #[test]
    fn an_existing_file_is_refused_unless_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.yaml");
        std::fs::write(&path, "hand-edited\n").unwrap();
        let shown = path.display().to_string();
        for mode in [IfExists::Refuse, IfExists::RefuseAlways] {
            let e = write(&path, mode, hello).unwrap_err();
            assert!(
                matches!(&e, Error::Refused { path: p, existing: Existing::File, if_exists }
                    if *p == path && *if_exists == mode),
                "{e:?}"
            );
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("{shown} already exists; ")),
                "{mode:?}: {e}"
            );
            assert_eq!(check(&path, mode).unwrap_err().to_string(), e);
            assert_eq!(std::fs::read(&path).unwrap(), b"hand-edited\n");
        }
        assert!(write(&path, IfExists::Refuse, hello)
            .unwrap_err()
            .to_string()
            .contains("pass --force"));
        assert!(!write(&path, IfExists::RefuseAlways, hello)
            .unwrap_err()
            .to_string()
            .contains("--force"));
        write(&path, IfExists::Replace, hello).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello\n");
        assert_eq!(names(dir.path()), ["grants.yaml"]);
    }

    #[test]
    fn a_symbolic_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let link = dir.path().join("out.json");
        symlink(&victim, &link).unwrap();
        let e = write(&link, IfExists::Refuse, hello).unwrap_err();
        assert!(
            matches!(&e, Error::Refused { existing: Existing::Link { to: Some(to) }, .. }
                if *to == victim),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("already exists as a symbolic link (to "), "{e}");
        assert!(e.contains("never writes through a symbolic link"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");

        // --force: the link is replaced by a file; the victim keeps its bytes.
        write(&link, IfExists::Replace, hello).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(std::fs::read(&link).unwrap(), b"hello\n");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
        assert_eq!(names(dir.path()), ["out.json", "victim"]);
    }

    #[test]
    fn a_dangling_symbolic_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("created-through-the-link");
        let link = dir.path().join("out.yaml");
        symlink(&target, &link).unwrap();
        for mode in [IfExists::Refuse, IfExists::RefuseAlways] {
            assert!(write(&link, mode, hello).is_err());
            assert!(!target.exists(), "{mode:?}");
        }
        write(&link, IfExists::Replace, hello).unwrap();
        assert!(!target.exists());
        assert_eq!(std::fs::read(&link).unwrap(), b"hello\n");
    }

    #[test]
    fn a_directory_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for mode in [IfExists::Refuse, IfExists::RefuseAlways, IfExists::Replace] {
            let e = write(&sub, mode, hello).unwrap_err();
            assert!(
                matches!(
                    &e,
                    Error::Refused {
                        existing: Existing::Directory,
                        ..
                    }
                ),
                "{e:?}"
            );
            let e = e.to_string();
            assert!(e.contains("is a directory"), "{mode:?}: {e}");
            assert_eq!(check(&sub, mode).unwrap_err().to_string(), e);
        }
        assert!(sub.is_dir());
        assert_eq!(names(dir.path()), ["sub"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing_that_looks_complete() {
        let dir = tempfile::tempdir().unwrap();
        let fail = |w: &mut dyn Write| -> std::io::Result<()> {
            w.write_all(b"groups:\n")?;
            Err(std::io::Error::other("disk full"))
        };
        let new = dir.path().join("new.yaml");
        let e = write(&new, IfExists::Refuse, fail).unwrap_err();
        // The operating system's error is kept as the source, not only as words.
        assert!(
            matches!(&e, Error::Incomplete { source, .. } if source.to_string() == "disk full"),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("disk full") && e.contains("removed"), "{e}");
        assert!(!new.exists());

        let old = dir.path().join("old.yaml");
        std::fs::write(&old, "kept\n").unwrap();
        let e = write(&old, IfExists::Replace, fail).unwrap_err();
        assert!(matches!(&e, Error::NotReplaced { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.contains("disk full") && e.contains("left as it was"),
            "{e}"
        );
        assert_eq!(std::fs::read(&old).unwrap(), b"kept\n");
        assert_eq!(names(dir.path()), ["old.yaml"]);
    }

    #[test]
    fn a_bare_name_is_written_in_the_current_directory() {
        assert_eq!(parent(Path::new("snap.json")), Path::new("."));
        assert_eq!(parent(Path::new("out/snap.json")), Path::new("out"));
    }
}
