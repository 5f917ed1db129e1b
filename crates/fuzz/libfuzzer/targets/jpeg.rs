//! libFuzzer's entry into `fuzz::jpeg`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::jpeg(data));
