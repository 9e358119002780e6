//! Renderings of instants (stored as unix milliseconds) on the wire.

use time::OffsetDateTime;
use time::macros::format_description;

/// Unix seconds of a unix-ms instant (floor, so it denotes the same second as the ISO form).
pub fn unix_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// ISO-8601 UTC with milliseconds and `Z`: `2017-11-11T10:17:10.655Z`.
pub fn iso_millis(ms: i64) -> String {
    const EPOCH: &str = "1970-01-01T00:00:00.000Z";
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return EPOCH.to_owned();
    };
    // `time` stops at year 9999 (the instant above fails first); BC years are no date a
    // message was sent, and would need a sign.
    let Some(year) = u32::try_from(t.year()).ok().filter(|y| *y <= 9999) else {
        return EPOCH.to_owned();
    };
    // Written digit by digit: every conversation and message of a page carries one, and
    // the general formatter showed in a list's profile.
    let mut out = String::with_capacity(24);
    let fields = [
        (year, 4, '-'),
        (u32::from(u8::from(t.month())), 2, '-'),
        (u32::from(t.day()), 2, 'T'),
        (u32::from(t.hour()), 2, ':'),
        (u32::from(t.minute()), 2, ':'),
        (u32::from(t.second()), 2, '.'),
        (u32::from(t.millisecond()), 3, 'Z'),
    ];
    for (value, width, after) in fields {
        push_digits(&mut out, value, width);
        out.push(after);
    }
    out
}

/// Appends `value` as exactly `width` decimal digits (zero-padded; higher digits dropped).
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10_u32.pow(place)) % 10;
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
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
        assert_eq!(iso_millis(1_795_547_340_007), "2026-11-24T19:09:00.007Z");
        assert_eq!(iso_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_millis(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso_millis(253_402_300_800_000), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(-62_167_219_200_001), "1970-01-01T00:00:00.000Z");
        assert_eq!(unix_seconds(1_510_395_430_655), 1_510_395_430);
        assert_eq!(unix_seconds(-1), -1);
        assert_eq!(utc_words(1_510_404_353_999), "2017-11-11 12:45:53 UTC");
    }
}
