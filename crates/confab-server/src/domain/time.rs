//! Renderings of instants (stored as unix milliseconds) on the wire.

use time::OffsetDateTime;
use time::macros::format_description;

/// Unix seconds of a unix-ms instant (floor, so it denotes the same second as the ISO form).
pub fn unix_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// ISO-8601 UTC with milliseconds and `Z`: `2017-11-11T10:17:10.655Z`; the Unix epoch
/// for an instant outside the years 0000–9999, which no message was sent in.
pub fn iso_millis(ms: i64) -> String {
    const EPOCH: &str = "1970-01-01T00:00:00.000Z";
    // The calendar is computed here rather than through `time`: every conversation and
    // message of a page carries a date, and its rendering was 5 % of a list's CPU.
    let days = ms.div_euclid(MS_PER_DAY);
    let of_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let Some(year) = u32::try_from(year).ok().filter(|y| *y <= 9999) else {
        return EPOCH.to_owned();
    };
    // `of_day` is in 0..86_400_000, so every field below fits its width.
    let of_day = u32::try_from(of_day).unwrap_or(0);
    let (hour, minute) = (of_day / 3_600_000, of_day / 60_000 % 60);
    let (second, milli) = (of_day / 1000 % 60, of_day % 1000);
    // One fixed array of digits (divisions by constants, no per-character pushes).
    let bytes = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
        b'T',
        digit(hour / 10),
        digit(hour),
        b':',
        digit(minute / 10),
        digit(minute),
        b':',
        digit(second / 10),
        digit(second),
        b'.',
        digit(milli / 100),
        digit(milli / 10),
        digit(milli),
        b'Z',
    ];
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| EPOCH.to_owned())
}

/// The ASCII digit of `value`'s last decimal place.
fn digit(value: u32) -> u8 {
    // `value % 10` is below 10, so the cast keeps it whole.
    b'0' + (value % 10) as u8
}

/// Milliseconds in a UTC day (no leap seconds in unix time).
const MS_PER_DAY: i64 = 86_400_000;

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`: 400-year eras, years starting in March so the leap day is
/// the last of the year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March year, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are small by construction (1..=12, 1..=31).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
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
        assert_eq!(iso_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_millis(-62_167_219_200_000), "0000-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(i64::MAX), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(i64::MIN), "1970-01-01T00:00:00.000Z");
    }

    /// The calendar through `time`, as `iso_millis` was written before it computed the
    /// calendar itself.
    fn iso_millis_by_time(ms: i64) -> String {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .filter(|t| (0..=9999).contains(&t.year()))
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
    }

    proptest::proptest! {
        /// Any instant of the years 0000–9999 and around them renders as `time` does.
        #[test]
        fn iso_millis_agrees_with_time(ms in -62_200_000_000_000_i64..253_500_000_000_000) {
            proptest::prop_assert_eq!(iso_millis(ms), iso_millis_by_time(ms));
        }
    }
}
