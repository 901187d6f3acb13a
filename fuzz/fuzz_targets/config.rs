//! grants.yaml loader: any text either loads, or fails with errors that each name the
//! file (with a line and column, or in the message); every diagnostic renders.
#![no_main]

use grantplan::{config, diag, state};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.yaml";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match config::parse(FILE, text) {
        Ok(c) => {
            assert_eq!(c.sha256, state::sha256(text.as_bytes()));
            for w in &c.warnings {
                assert!(!w.is_error(), "{w}");
                let _ = diag::render(w, Some(text), false);
            }
        }
        Err(diags) => {
            assert!(diags.iter().any(|d| d.is_error()), "{diags:?}");
            for d in &diags {
                match &d.location {
                    Some(l) => assert!(l.file == FILE && l.line >= 1 && l.column >= 1, "{d}"),
                    None => assert!(d.message.contains(FILE), "{d}"),
                }
                let _ = diag::render(d, Some(text), false);
            }
        }
    }
});
