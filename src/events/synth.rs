//! A seeded generator of synthetic event logs, for tests, benchmarks and memory measurements.
//!
//! The stream is a pure function of [`SynthOptions`] (including the seed) on every platform:
//! the generator is SplitMix64 (Steele, Lea and Flood 2014), implemented here, so it does not
//! change with a dependency's version.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, TimeDelta};

use crate::error::{Error, Result};

/// SplitMix64: a small, fast, portable 64-bit generator (not cryptographic).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is below 2⁻³² for `n < 2³²`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Parameters of [`SynthEvents`].
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Events (rows) to generate in total (default 10,000).
    pub events: u64,
    /// Mean touches per user, ≥ 1 (default 8; geometric distribution).
    pub mean_touches: f64,
    /// Probability that a touch is followed by a conversion within 2 hours (default 0.05).
    pub conversion_rate: f64,
    /// Channel names; channel `i` is drawn with weight `1/(i+1)` (default: eight GA4-style
    /// channels).
    pub channels: Vec<String>,
    /// Earliest user start, µs since the epoch (default 2024-01-01T00:00:00Z); users start
    /// uniformly within 90 days after it.
    pub start: i64,
    /// Mean gap between a user's touches (default 2 days; exponential).
    pub mean_gap: TimeDelta,
    /// Write timestamps as epoch milliseconds instead of RFC 3339 (default `false`).
    pub epoch_millis: bool,
    /// The seed (default 0).
    pub seed: u64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            events: 10_000,
            mean_touches: 8.0,
            conversion_rate: 0.05,
            channels: [
                "Paid Search",
                "Organic Search",
                "Email",
                "Direct",
                "Display",
                "Paid Social",
                "Organic Social",
                "Referral",
            ]
            .map(String::from)
            .to_vec(),
            start: 1_704_067_200_000_000,
            mean_gap: TimeDelta::days(2),
            epoch_millis: false,
            seed: 0,
        }
    }
}

impl SynthOptions {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `mean_touches < 1`, `conversion_rate ∉ [0, 1]`, there is
    /// no channel, or `mean_gap` is negative (NaN-aware).
    pub fn validate(&self) -> Result<()> {
        let bad = |name, reason: &str| Error::InvalidParameter {
            model: "synth",
            name,
            reason: reason.into(),
        };
        if !(self.mean_touches.is_finite() && self.mean_touches >= 1.0) {
            return Err(bad("mean_touches", "must be finite and >= 1"));
        }
        let p = self.conversion_rate;
        if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
            return Err(bad("conversion_rate", "must be in [0, 1]"));
        }
        if self.channels.is_empty() {
            return Err(bad("channels", "at least one channel is needed"));
        }
        if self.mean_gap < TimeDelta::zero() {
            return Err(bad("mean_gap", "must be >= 0"));
        }
        Ok(())
    }
}

/// One generated event.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthEvent {
    /// User number (written as `u<number>`).
    pub user: u64,
    /// Time, µs since the epoch.
    pub at: i64,
    /// Index into [`SynthOptions::channels`] for a touch; `None` for a conversion.
    pub channel: Option<usize>,
    /// Conversion value (0 for a touch; 10 to 200 with two decimals for a conversion).
    pub value: f64,
}

/// The event stream: users one after another, each user's events in a shuffled order (so the
/// input is not sorted by time), cut at [`SynthOptions::events`].
#[derive(Clone, Debug)]
pub struct SynthEvents {
    opts: SynthOptions,
    rng: SplitMix64,
    /// Cumulative channel weights.
    cumulative: Vec<f64>,
    emitted: u64,
    user: u64,
    buffer: Vec<SynthEvent>,
}

impl SynthEvents {
    /// A stream from validated options.
    ///
    /// # Errors
    /// As [`SynthOptions::validate`].
    pub fn new(opts: SynthOptions) -> Result<Self> {
        opts.validate()?;
        let mut total = 0.0;
        let cumulative = (0..opts.channels.len())
            .map(|i| {
                total += 1.0 / (i + 1) as f64;
                total
            })
            .collect();
        Ok(SynthEvents {
            rng: SplitMix64::new(opts.seed),
            opts,
            cumulative,
            emitted: 0,
            user: 0,
            buffer: Vec::new(),
        })
    }

    /// Generates the next user's events into `buffer` (shuffled, reversed for popping).
    fn next_user(&mut self) {
        let o = &self.opts;
        let rng = &mut self.rng;
        // Geometric on {1, 2, …} with mean `mean_touches`.
        let p = 1.0 / o.mean_touches;
        let extra = if p >= 1.0 {
            0.0
        } else {
            ((1.0 - rng.next_f64()).ln() / (1.0 - p).ln()).floor()
        };
        let touches = 1 + extra.min(1e6) as u64;
        let day = 86_400_000_000u64;
        let mut t = o.start + rng.below(90 * day) as i64;
        let gap = o.mean_gap.num_microseconds().unwrap_or(i64::MAX) as f64;
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        for _ in 0..touches {
            let x = rng.next_f64() * total;
            let channel = self.cumulative.partition_point(|&c| c <= x);
            let channel = channel.min(o.channels.len() - 1);
            self.buffer.push(SynthEvent {
                user: self.user,
                at: t,
                channel: Some(channel),
                value: 0.0,
            });
            if rng.next_f64() < o.conversion_rate {
                let value = (1000.0 + rng.next_f64() * 19_000.0).round() / 100.0;
                self.buffer.push(SynthEvent {
                    user: self.user,
                    at: t + rng.below(2 * 3_600_000_000) as i64,
                    channel: None,
                    value,
                });
            }
            t = t.saturating_add((-(1.0 - rng.next_f64()).ln() * gap) as i64);
        }
        for i in (1..self.buffer.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            self.buffer.swap(i, j);
        }
        self.user += 1;
    }

    /// Writes the stream as CSV (`user_id,timestamp,channel,conversion,value`) and returns the
    /// number of events written.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_csv<W: Write>(self, out: W) -> Result<u64> {
        self.write(out, true)
    }

    /// Writes the stream as JSON Lines with the same fields.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_jsonl<W: Write>(self, out: W) -> Result<u64> {
        self.write(out, false)
    }

    fn write<W: Write>(self, out: W, csv: bool) -> Result<u64> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        let opts = self.opts.clone();
        if csv {
            writeln!(out, "user_id,timestamp,channel,conversion,value")?;
        }
        let mut n = 0;
        for e in self {
            let time = if opts.epoch_millis {
                e.at.div_euclid(1000).to_string()
            } else {
                let t = DateTime::from_timestamp_micros(e.at).ok_or_else(|| {
                    Error::InvalidParameter {
                        model: "synth",
                        name: "start",
                        reason: "a generated time is out of range".into(),
                    }
                })?;
                let t = t.to_rfc3339_opts(SecondsFormat::Millis, true);
                if csv { t } else { format!("\"{t}\"") }
            };
            let channel = e.channel.map_or("", |c| opts.channels[c].as_str());
            let (conv, value) = match e.channel {
                Some(_) => ("0", String::new()),
                None => ("1", format!("{:.2}", e.value)),
            };
            if csv {
                // Channel names with commas or quotes are quoted.
                let channel = if channel.contains([',', '"', '\n']) {
                    format!("\"{}\"", channel.replace('"', "\"\""))
                } else {
                    channel.to_string()
                };
                writeln!(out, "u{},{time},{channel},{conv},{value}", e.user)?;
            } else {
                let channel = serde_json::to_string(channel).map_err(std::io::Error::other)?;
                let value = if value.is_empty() {
                    "null".into()
                } else {
                    value
                };
                writeln!(
                    out,
                    "{{\"user_id\":\"u{}\",\"timestamp\":{time},\"channel\":{channel},\"conversion\":{conv},\"value\":{value}}}",
                    e.user
                )?;
            }
            n += 1;
        }
        out.flush()?;
        Ok(n)
    }
}

impl Iterator for SynthEvents {
    type Item = SynthEvent;

    fn next(&mut self) -> Option<SynthEvent> {
        if self.emitted >= self.opts.events {
            return None;
        }
        while self.buffer.is_empty() {
            self.next_user();
        }
        self.emitted += 1;
        self.buffer.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // SplitMix64 from seed 0: the published first outputs.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn streams_are_reproducible_and_sized() {
        let opts = SynthOptions {
            events: 500,
            seed: 7,
            ..Default::default()
        };
        let a: Vec<_> = SynthEvents::new(opts.clone()).unwrap().collect();
        let b: Vec<_> = SynthEvents::new(opts.clone()).unwrap().collect();
        assert_eq!(a.len(), 500);
        assert_eq!(a, b);
        let c: Vec<_> = SynthEvents::new(SynthOptions { seed: 8, ..opts })
            .unwrap()
            .collect();
        assert_ne!(a, c);
        assert!(a.iter().any(|e| e.channel.is_none()));
        assert!(
            a.iter()
                .all(|e| e.channel.is_some() || (10.0..=200.0).contains(&e.value))
        );
    }

    #[test]
    fn bad_options_are_refused() {
        for o in [
            SynthOptions {
                mean_touches: 0.5,
                ..Default::default()
            },
            SynthOptions {
                conversion_rate: f64::NAN,
                ..Default::default()
            },
            SynthOptions {
                channels: vec![],
                ..Default::default()
            },
        ] {
            assert!(SynthEvents::new(o).is_err());
        }
    }
}
