//! libFuzzer's entry into `fuzz::client_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::client_message(data));
