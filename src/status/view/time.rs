//! Times as release managers read them: relative ("3m ago", "in 2h") with
//! the absolute UTC time beside it (shown on hover).
//!
//! Invariant: pure functions of two timestamps; no clock is read here.

use serde::Serialize;

use crate::rollout::Timestamp;

/// A time as shown on the page and in the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeView {
    /// Milliseconds since the epoch.
    pub ms: i64,
    /// `2027-01-15T08:00:00Z`.
    pub iso: String,
    /// `3m ago`, `in 2h 5m`, `just now`.
    pub relative: String,
}

impl TimeView {
    pub fn new(at: Timestamp, now: Timestamp) -> TimeView {
        TimeView {
            ms: at.0,
            iso: iso_utc(at),
            relative: relative(at, now),
        }
    }
}

/// `at` relative to `now`.
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    let delta = now.0.saturating_sub(at.0);
    let secs = (delta / 1000).unsigned_abs();
    if secs < 45 {
        return "just now".to_owned();
    }
    let span = duration_text(secs);
    if delta >= 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// `45s`, `12m`, `2h 5m`, `3d 4h`.
pub fn duration_text(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    if d > 0 {
        if h > 0 {
            format!("{d}d {h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h {m}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{secs}s")
    }
}

/// ISO 8601 in UTC, to the second.
pub fn iso_utc(at: Timestamp) -> String {
    let secs = at.0.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        for (ms, want) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_800_000_000_000, "2027-01-15T08:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (-1000, "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(iso_utc(Timestamp(ms)), want, "{ms}");
        }
    }

    #[test]
    fn relative_texts() {
        let now = Timestamp(10_000_000_000);
        for (offset_s, want) in [
            (0, "just now"),
            (-90, "1m ago"),
            (-7500, "2h 5m ago"),
            (-7200, "2h ago"),
            (-90_000, "1d 1h ago"),
            (600, "in 10m"),
        ] {
            assert_eq!(relative(Timestamp(now.0 + offset_s * 1000), now), want);
        }
    }
}
