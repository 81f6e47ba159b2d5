//! Scalar value types of the config with their own text syntax: durations
//! (`30s`, `15m`, `2h`, `1d`, `1h30m`), wave sizes (`5` or `"25%"`), failure
//! budgets (`3` or `"10%"`) and listen addresses.
//!
//! Invariant: parsing is total — every input yields a value or a serde
//! `invalid_value`/`invalid_type` error saying what was expected; no panics,
//! no overflow (checked arithmetic).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// What a duration looks like, for messages.
pub const DURATION_EXPECTED: &str = "a duration such as `30s`, `15m`, `2h`, `1d` or `1h30m`";

/// Parses `30s`, `15m`, `2h`, `1d`, `1w`, compounds like `1h30m`, and `0`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let n_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n_len == 0 {
            return None;
        }
        let (num, after) = rest.split_at(n_len);
        let n: u64 = num.parse().ok()?;
        let u_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(u_len);
        let secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(secs)?)?;
        rest = after;
        any = true;
    }
    any.then(|| Duration::from_secs(total))
}

/// Formats a duration the way the config writes it (`1h30m`, `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = secs / size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            secs %= size;
        }
    }
    out
}

/// `#[serde(deserialize_with = "values::duration")]`.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(DURATION_EXPECTED)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
            parse_duration(s).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
            match n {
                0 => Ok(Duration::ZERO),
                _ => Err(E::invalid_value(Unexpected::Signed(n), &self)),
            }
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
            match n {
                0 => Ok(Duration::ZERO),
                _ => Err(E::invalid_value(Unexpected::Unsigned(n), &self)),
            }
        }
    }
    d.deserialize_any(V)
}

/// Parses `"25%"` or `"2.5%"` into a percentage (not range-checked).
pub fn parse_percent(text: &str) -> Option<f64> {
    let n = text.trim().strip_suffix('%')?.trim();
    let v: f64 = n.parse().ok()?;
    v.is_finite().then_some(v)
}

/// One entry of `rollout.waves`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WaveSize {
    /// A number of units in this wave.
    Count(u32),
    /// A cumulative percentage of all units reached by the end of this wave.
    Percent(f64),
}

impl<'de> de::Deserialize<'de> for WaveSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WaveSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a count such as `5` or a cumulative percentage such as `\"25%\"`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WaveSize, E> {
                parse_percent(s)
                    .map(WaveSize::Percent)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<WaveSize, E> {
                u32::try_from(n)
                    .map(WaveSize::Count)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<WaveSize, E> {
                u32::try_from(n)
                    .map(WaveSize::Count)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// `rollout.gate.failure_budget`: how many failed targets halt the rollout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FailureBudget {
    /// Halt when more than this many targets have failed.
    Count(u32),
    /// Halt when more than this percentage of the rollout's targets have failed.
    Percent(f64),
}

impl<'de> de::Deserialize<'de> for FailureBudget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FailureBudget;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a count such as `3` or a percentage such as `\"10%\"`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<FailureBudget, E> {
                parse_percent(s)
                    .map(FailureBudget::Percent)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<FailureBudget, E> {
                u32::try_from(n)
                    .map(FailureBudget::Count)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<FailureBudget, E> {
                u32::try_from(n)
                    .map(FailureBudget::Count)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// `#[serde(deserialize_with = "values::socket_addr")]`.
pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = SocketAddr;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an address such as `127.0.0.1:8080` or `[::1]:8080`")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<SocketAddr, E> {
            s.trim()
                .parse()
                .map_err(|_| E::invalid_value(Unexpected::Str(s), &self))
        }
    }
    d.deserialize_str(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, secs) in [
            ("0", Some(0)),
            ("0s", Some(0)),
            ("30s", Some(30)),
            ("15m", Some(900)),
            ("2h", Some(7_200)),
            ("1d", Some(86_400)),
            ("1w", Some(604_800)),
            ("1h30m", Some(5_400)),
            (" 2h ", Some(7_200)),
            ("", None),
            ("h", None),
            ("2", None),
            ("2x", None),
            ("2 h", None),
            ("-2h", None),
            ("1.5h", None),
            ("99999999999999999999s", None),
            ("9999999999999999w", None),
        ] {
            assert_eq!(parse_duration(text).map(|d| d.as_secs()), secs, "{text:?}");
        }
    }

    #[test]
    fn duration_round_trip() {
        for secs in [0, 1, 59, 60, 3_600, 5_400, 90_061] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)), Some(d));
        }
    }

    #[test]
    fn percents() {
        assert_eq!(parse_percent("25%"), Some(25.0));
        assert_eq!(parse_percent("2.5 %"), Some(2.5));
        assert_eq!(parse_percent("25"), None);
        assert_eq!(parse_percent("inf%"), None);
        assert_eq!(parse_percent("%"), None);
    }
}
