//! The socket between the tray process and the window process: any line is a message or a
//! refusal, never a panic; a message read is written back as one line that reads the same.
#![no_main]
use headroom_protocol::messages::{line, parse_from_tray, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = parse_request(data) {
        let written = line(&request);
        assert_eq!(written.matches('\n').count(), 1, "{written}");
        assert_eq!(parse_request(written.trim_end().as_bytes()).as_ref(), Ok(&request), "{written}");
    }
    if let Ok(message) = parse_from_tray(data) {
        let written = line(&message);
        assert_eq!(written.matches('\n').count(), 1, "{written}");
        assert_eq!(parse_from_tray(written.trim_end().as_bytes()).as_ref(), Ok(&message), "{written}");
    }
});
