#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| railgate::fuzzing::top_answer(data));
