//! Runs grantplan::fuzzing::planfile on each input: see that function for the properties, and
//! fuzz/README.md for how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| grantplan::fuzzing::planfile(data));
