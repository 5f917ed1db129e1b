//! libFuzzer's entry into `fuzz::guard_report`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::guard_report(data));
