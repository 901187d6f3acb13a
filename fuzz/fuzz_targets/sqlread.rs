//! SQL reader: any text is read or refused, never a panic; whatever it accepts renders
//! to SQL that reads back as the same statement.
#![no_main]

use grantplan::model::Target;
use grantplan::sqlread;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let target = if mode & 1 == 1 {
        Target::Redshift
    } else {
        Target::Postgres
    };
    if let Ok(statements) = sqlread::read(text, target) {
        for s in statements {
            let sql = s.render(target);
            assert_eq!(sqlread::read(&sql, target), Ok(vec![s.clone()]), "{sql}");
        }
    }
});
