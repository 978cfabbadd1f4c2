//! The caller's deadline, as gRPC over HTTP/2 carries it in `grpc-timeout`.

use std::time::Duration;

use http::HeaderMap;

/// How much before the caller's deadline a call is ended: tonic's timer for
/// it started a moment earlier, and tokio fires timers on whole
/// milliseconds, so ours must fall a tick earlier to be seen first (tonic
/// polls the call before its timer).
pub const DEADLINE_LEAD: Duration = Duration::from_millis(1);

/// The call's `grpc-timeout` (gRPC over HTTP/2: at most 8 digits, then a
/// unit), or `None` if absent or malformed, as tonic reads it.
pub fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let digits = value.get(..value.len().checked_sub(1)?)?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match &value[digits.len()..] {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grpc_timeout_is_read_as_the_protocol_writes_it() {
        let timeout = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-timeout", value.parse().unwrap());
            grpc_timeout(&headers)
        };
        assert_eq!(timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(
            timeout("99999999H"),
            Some(Duration::from_secs(99_999_999 * 3600))
        );
        assert_eq!(timeout("2S"), Some(Duration::from_secs(2)));
        for bad in ["", "m", "123456789m", "1x", "-1m", "1.5S", "+1m"] {
            assert_eq!(timeout(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout(&HeaderMap::new()), None);
    }
}
