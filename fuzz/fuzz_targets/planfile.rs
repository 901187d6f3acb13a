//! Plan-file reader: any text is read or refused with a message naming the file, never a
//! panic. Half the inputs get a correct seal first (anyone who can edit a plan file can
//! recompute it), so the header and statement readers behind the seal are reached too.
//! A file that reads back writes back to the same file.
#![no_main]

use grantplan::{planfile, state};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.sql";

/// The text with its first `-- seal:` line made to match the other lines, the way
/// `planfile::write` computes it.
fn reseal(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("-- seal: ")) else {
        return text.to_string();
    };
    let mut all = lines[..at].join("\n");
    all.push('\n');
    all.push_str(&lines[at + 1..].join("\n"));
    let seal = format!("-- seal: {}", state::sha256(all.as_bytes()));
    let mut out: Vec<&str> = lines.clone();
    out[at] = &seal;
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let text = if mode & 1 == 1 {
        reseal(text)
    } else {
        text.to_string()
    };
    match planfile::read(FILE, &text) {
        Err(e) => assert!(e.contains(FILE), "{e}"),
        Ok(file) => {
            let h = &file.header;
            let plain = [&h.database, &h.config, &h.config_sha256, &h.grantplan, &h.catalog]
                .iter()
                .all(|v| !v.contains(['\r', '\n']));
            if plain {
                let again = planfile::write(h, &file.statements);
                assert_eq!(planfile::read(FILE, &again), Ok(file.clone()), "{again}");
            }
        }
    }
});
