//! libFuzzer's entry into `fuzz::url_policy`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::url_policy(data));
