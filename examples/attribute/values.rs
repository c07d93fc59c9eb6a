//! The value parsers of `attribute`'s options (clap `value_parser`s).

use chrono::TimeDelta;
use touchpoint::ValueMode;
use touchpoint::bootstrap::Scheme;
use touchpoint::events::{NullJourneys, parse_duration};

use crate::common::Bad;

/// Half-life as given on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum HalfLife {
    Touches(f64),
    /// A duration, and the text it was given as.
    Time(TimeDelta, String),
}

pub fn level(s: &str) -> Result<f64, Bad> {
    let t = s.trim();
    let level = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    };
    match level {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err("expected a confidence level in (0, 1) such as 0.95 (or 95%)".into()),
    }
}

pub fn scheme(s: &str) -> Result<Scheme, Bad> {
    match s.trim() {
        "poisson" => Ok(Scheme::Poisson),
        "multinomial" => Ok(Scheme::Multinomial),
        "bayesian" => Ok(Scheme::Bayesian),
        _ => Err("expected poisson, multinomial or bayesian".into()),
    }
}

pub fn value_mode(s: &str) -> Result<ValueMode, Bad> {
    match s.trim() {
        "value_weighted" => Ok(ValueMode::ValueWeighted),
        "proportional" => Ok(ValueMode::Proportional),
        _ => Err("expected value_weighted or proportional".into()),
    }
}

/// A cost limit: a positive number, `1e11` notation allowed.
pub fn positive_limit(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a positive number (e.g. 1e11)")),
    }
}

pub fn null_rule(s: &str) -> Result<NullJourneys, String> {
    match s {
        "after-last-conversion" => Ok(NullJourneys::AfterLastConversion),
        "windowed" => Ok(NullJourneys::Windowed),
        other => Err(format!(
            "unknown null-journey rule `{other}` (valid: after-last-conversion, windowed)"
        )),
    }
}

pub fn lookback(s: &str) -> Result<TimeDelta, touchpoint::Error> {
    parse_duration("lookback", s)
}

/// `F,M,L` as fractions summing to 1 or percentages summing to 100.
pub fn weights(s: &str) -> Result<(f64, f64, f64), Bad> {
    let three = "expected three numbers F,M,L such as 0.4,0.2,0.4 or 40,20,40";
    let w = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|_| Bad::from(three))?;
    let &[f, m, l] = w.as_slice() else {
        return Err(three.into());
    };
    if !w.iter().all(|x| x.is_finite() && *x >= 0.0) {
        return Err("weights must be finite and >= 0".into());
    }
    let sum = f + m + l;
    if (sum - 100.0).abs() < 1e-9 {
        Ok((f / 100.0, m / 100.0, l / 100.0))
    } else if (sum - 1.0).abs() < 1e-9 {
        Ok((f, m, l))
    } else {
        Err(Bad(format!("weights sum to {sum}, not 1 (or 100)")))
    }
}

/// A plain positive number (touches) or a duration ([`parse_duration`]: `30m`, `12h`, `7d`).
pub fn half_life(s: &str) -> Result<HalfLife, Bad> {
    if let Ok(x) = s.trim().parse::<f64>() {
        return if x.is_finite() && x > 0.0 {
            Ok(HalfLife::Touches(x))
        } else {
            Err("must be > 0".into())
        };
    }
    match parse_duration("half-life", s) {
        Ok(d) if d > TimeDelta::zero() => Ok(HalfLife::Time(d, s.to_string())),
        Ok(_) => Err("must be > 0".into()),
        Err(_) => Err("expected touches (e.g. 2) or a duration (e.g. 7d, 12h, 30m)".into()),
    }
}
