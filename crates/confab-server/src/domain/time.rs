//! Renderings of instants (stored as unix milliseconds) on the wire.

use time::OffsetDateTime;
use time::macros::format_description;

/// The current time in unix milliseconds.
pub fn now_ms() -> i64 {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// Unix seconds of a unix-ms instant (floor, so it denotes the same second as the ISO form).
pub fn unix_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// ISO-8601 UTC with milliseconds and `Z`: `2017-11-11T10:17:10.655Z`.
pub fn iso_millis(ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

/// The webhook form of an instant: `2017-11-11 12:45:53 UTC`.
pub fn utc_words(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01 00:00:00 UTC".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_iso_with_millis() {
        assert_eq!(iso_millis(1_510_395_430_655), "2017-11-11T10:17:10.655Z");
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(unix_seconds(1_510_395_430_655), 1_510_395_430);
        assert_eq!(unix_seconds(-1), -1);
        assert_eq!(utc_words(1_510_404_353_999), "2017-11-11 12:45:53 UTC");
    }
}
