//! This machine's clock against STS's. SigV4 signs the time of each request, and AWS refuses a
//! request signed more than 5 minutes off: with a clock that far out, no session can be obtained.
//! One unsigned request to the configured endpoint (`sts::probe_date`) reads the `Date` of the
//! answer; the local time comes from the engine's clock.

use std::time::Duration;

use time::OffsetDateTime;

use super::{Check, Outcome};
use crate::engine::Engine;
use crate::sts::{probe_date, StsSettings};
use crate::words::human_duration;

const NAME: &str = "clock";

/// Within this of STS: ok.
pub const CLOCK_OK: Duration = Duration::from_secs(60);
/// Beyond this, AWS refuses every signed request (SigV4's limit): fail.
pub const CLOCK_REFUSED: Duration = Duration::from_secs(5 * 60);

const FIX: &str = "sync the clock: timedatectl set-ntp true";

/// One request to STS (`AWS_ENDPOINT_URL_STS` honoured), its `Date` compared with the local
/// clock. An unreachable STS is a warning naming the endpoint: the check could not be made.
pub async fn clock_check(engine: &Engine) -> Check {
    let settings = StsSettings::from_env(engine.env(), None);
    let before = engine.clock().now();
    let probe = probe_date(&settings).await;
    let after = engine.clock().now();
    let endpoint = probe.endpoint;
    match probe.date {
        Ok(Some(date)) => {
            // The local time the answer was dated at: halfway through the round trip. The header
            // counts whole seconds, cut down: half a second is added back.
            let local = before + after.duration_since(before).unwrap_or_default() / 2;
            let server = date + Duration::from_millis(500);
            skew_check(&endpoint, OffsetDateTime::from(server) - OffsetDateTime::from(local))
        }
        Ok(None) => Check::new(
            NAME,
            Outcome::Warn,
            format!("STS at {endpoint} answered without a readable Date header, so the clock could not be compared"),
        ),
        Err(e) => Check::new(
            NAME,
            Outcome::Warn,
            format!(
                "STS at {endpoint} could not be reached to compare clocks: {}",
                e.detail
            ),
        )
        .fix("check the network, the region and AWS_ENDPOINT_URL_STS; sessions cannot be renewed until STS answers"),
    }
}

/// How far the local clock is from STS's (`skew` = STS's time minus the local time): ok within
/// [`CLOCK_OK`], a warning up to [`CLOCK_REFUSED`], a failure beyond, where AWS refuses every
/// signed request.
pub fn skew_check(endpoint: &str, skew: time::Duration) -> Check {
    let apart = Duration::from_secs(skew.unsigned_abs().as_secs_f64().round() as u64);
    let relation = if apart.is_zero() {
        format!("agrees with STS at {endpoint} to the second")
    } else if skew.is_positive() {
        format!("is {} behind STS at {endpoint}", words(apart))
    } else {
        format!("is {} ahead of STS at {endpoint}", words(apart))
    };
    let detail = format!("this machine's clock {relation}");
    if apart <= CLOCK_OK {
        Check::new(NAME, Outcome::Ok, detail)
    } else if apart <= CLOCK_REFUSED {
        Check::new(
            NAME,
            Outcome::Warn,
            format!("{detail}; AWS refuses requests signed more than 5 min off"),
        )
        .fix(FIX)
    } else {
        Check::new(
            NAME,
            Outcome::Fail,
            format!(
                "{detail}: AWS refuses requests signed more than 5 min off, so no session can be obtained"
            ),
        )
        .fix(FIX)
    }
}

/// `42 s`, `4 min 10 s`, `2 h 05 min`.
fn words(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        60..=3599 if !s.is_multiple_of(60) => format!("{} min {} s", s / 60, s % 60),
        _ => human_duration(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: &str = "http://127.0.0.1:5000";

    #[test]
    fn skew_is_ok_to_a_minute_a_warning_to_five_and_a_failure_beyond() {
        let cases = [
            (
                0.0,
                Outcome::Ok,
                "agrees with STS at http://127.0.0.1:5000 to the second",
            ),
            (0.4, Outcome::Ok, "to the second"),
            (-0.6, Outcome::Ok, "is 1 s ahead of STS"),
            (
                3.0,
                Outcome::Ok,
                "is 3 s behind STS at http://127.0.0.1:5000",
            ),
            (60.0, Outcome::Ok, "is 1 min behind"),
            (-60.0, Outcome::Ok, "is 1 min ahead"),
            (61.0, Outcome::Warn, "is 1 min 1 s behind"),
            (-250.0, Outcome::Warn, "is 4 min 10 s ahead"),
            (300.0, Outcome::Warn, "is 5 min behind"),
            (301.0, Outcome::Fail, "is 5 min 1 s behind"),
            (-7200.0, Outcome::Fail, "is 2 h 00 min ahead"),
        ];
        for (seconds, outcome, words) in cases {
            let check = skew_check(AT, time::Duration::seconds_f64(seconds));
            assert_eq!(check.outcome, outcome, "{seconds} s: {check}");
            assert!(check.detail.contains(words), "{seconds} s: {check}");
            assert_eq!(check.name, "clock");
            assert_eq!(
                check.fix.as_deref(),
                (outcome != Outcome::Ok).then_some(FIX),
                "{seconds} s"
            );
        }
    }

    #[test]
    fn a_failure_says_why_it_fails() {
        let check = skew_check(AT, time::Duration::minutes(-10));
        assert_eq!(
            check.to_string(),
            "FAIL  clock: this machine's clock is 10 min ahead of STS at http://127.0.0.1:5000: \
             AWS refuses requests signed more than 5 min off, so no session can be obtained; \
             fix: sync the clock: timedatectl set-ntp true"
        );
    }
}
