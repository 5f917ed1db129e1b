//! libFuzzer's entry into `fuzz::egress_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::egress_request(data));
