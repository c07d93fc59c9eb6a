//! A seeded generator of synthetic event logs, for tests, benchmarks and memory measurements.
//!
//! The stream is a pure function of [`SynthOptions`] (including the seed) on every platform:
//! rand's `Xoshiro256PlusPlus` seeded with `seed_from_u64`, with rand's and rand_distr's
//! distributions (`Geometric` touches per user, `Exp1` gaps, uniform ranges, a
//! Fisher–Yates shuffle). The bundled `examples/data/sample_events.csv` pins the bytes (a CLI
//! test regenerates it).

use std::io::Write;

use chrono::{DateTime, SecondsFormat, TimeDelta};
use rand::distr::weighted::WeightedIndex;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Geometric};

use crate::error::{Error, Result};

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
    /// Campaigns per channel (default 0: no `campaign` column). With N > 0 each touch also
    /// has a campaign `c1` … `cN` of its channel, `cJ` drawn with weight `1/J`, written in a
    /// `campaign` column after `channel` (empty on conversion rows): a log for runs at the
    /// campaign level (see [`crate::levels`]). With 0 the stream is exactly as before.
    pub campaigns_per_channel: usize,
    /// Probability in [0, 1] that a touch keeps its user's campaign theme (default 0). With
    /// P > 0 and campaigns, each user draws a theme `cJ` (weight `1/J`) and each touch's
    /// campaign is the theme with probability P, else drawn as without themes: journeys stay
    /// within one or a few campaigns, as in real logs. With 0 the stream is exactly as before.
    pub campaign_stickiness: f64,
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
            campaigns_per_channel: 0,
            campaign_stickiness: 0.0,
        }
    }
}

impl SynthOptions {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `mean_touches < 1`, `conversion_rate ∉ [0, 1]`, there is
    /// no channel, `mean_gap` is negative (NaN-aware), or `campaign_stickiness ∉ [0, 1]` or is
    /// set without campaigns.
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
        if !(0.0..=1.0).contains(&self.campaign_stickiness) {
            return Err(bad("campaign_stickiness", "must be in [0, 1]"));
        }
        if self.campaign_stickiness > 0.0 && self.campaigns_per_channel == 0 {
            return Err(bad("campaign_stickiness", "needs campaigns_per_channel"));
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
    /// Campaign index (0-based, written `c<index + 1>`) of a touch, when
    /// [`SynthOptions::campaigns_per_channel`] is set.
    pub campaign: Option<usize>,
}

/// The event stream: users one after another, each user's events in a shuffled order (so the
/// input is not sorted by time), cut at [`SynthOptions::events`].
#[derive(Clone, Debug)]
pub struct SynthEvents {
    opts: SynthOptions,
    rng: Xoshiro256PlusPlus,
    /// Channel weights `1/(i+1)`.
    channels: WeightedIndex<f64>,
    /// Touches per user after the first.
    extra_touches: Geometric,
    /// Campaign weights `1/(j+1)` within a channel, when there are campaigns.
    campaigns: Option<WeightedIndex<f64>>,
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
        let bad = |name, e: &dyn std::fmt::Display| Error::InvalidParameter {
            model: "synth",
            name,
            reason: e.to_string(),
        };
        let weights = (0..opts.channels.len()).map(|i| 1.0 / (i + 1) as f64);
        let channels = WeightedIndex::new(weights).map_err(|e| bad("channels", &e))?;
        let extra_touches =
            Geometric::new(1.0 / opts.mean_touches).map_err(|e| bad("mean_touches", &e))?;
        let campaigns = match opts.campaigns_per_channel {
            0 => None,
            n => Some(
                WeightedIndex::new((0..n).map(|j| 1.0 / (j + 1) as f64))
                    .map_err(|e| bad("campaigns_per_channel", &e))?,
            ),
        };
        Ok(SynthEvents {
            rng: Xoshiro256PlusPlus::seed_from_u64(opts.seed),
            opts,
            channels,
            extra_touches,
            campaigns,
            emitted: 0,
            user: 0,
            buffer: Vec::new(),
        })
    }

    /// Generates the next user's events into `buffer` (shuffled, reversed for popping).
    fn next_user(&mut self) {
        let o = &self.opts;
        let rng = &mut self.rng;
        // 1 + geometric: mean `mean_touches`; the cap keeps a user's buffer bounded.
        let touches = 1 + self.extra_touches.sample(rng).min(1_000_000);
        let day = 86_400_000_000i64;
        let mut t = o.start + rng.random_range(0..90 * day);
        let gap = o.mean_gap.num_microseconds().unwrap_or(i64::MAX) as f64;
        let sticky = o.campaign_stickiness;
        let theme = match &self.campaigns {
            Some(c) if sticky > 0.0 => Some(c.sample(rng)),
            _ => None,
        };
        for _ in 0..touches {
            let channel = self.channels.sample(rng);
            let campaign = match (&self.campaigns, theme) {
                (Some(_), Some(j)) if rng.random_bool(sticky) => Some(j),
                (c, _) => c.as_ref().map(|c| c.sample(rng)),
            };
            self.buffer.push(SynthEvent {
                user: self.user,
                at: t,
                channel: Some(channel),
                value: 0.0,
                campaign,
            });
            if rng.random_bool(o.conversion_rate) {
                // Cents from 10.00 to 200.00.
                let value = rng.random_range(1000..=20_000) as f64 / 100.0;
                self.buffer.push(SynthEvent {
                    user: self.user,
                    at: t + rng.random_range(0..2 * 3_600_000_000i64),
                    channel: None,
                    value,
                    campaign: None,
                });
            }
            let step: f64 = Exp1.sample(rng);
            // The cast saturates on huge gaps.
            t = t.saturating_add((step * gap) as i64);
        }
        self.buffer.shuffle(rng);
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
        let with_campaign = opts.campaigns_per_channel > 0;
        if csv {
            let campaign = if with_campaign { ",campaign" } else { "" };
            writeln!(out, "user_id,timestamp,channel{campaign},conversion,value")?;
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
                let campaign = match (with_campaign, e.campaign) {
                    (false, _) => String::new(),
                    (true, None) => ",".into(),
                    (true, Some(j)) => format!(",c{}", j + 1),
                };
                writeln!(out, "u{},{time},{channel}{campaign},{conv},{value}", e.user)?;
            } else {
                let channel = serde_json::to_string(channel).map_err(std::io::Error::other)?;
                let value = if value.is_empty() {
                    "null".into()
                } else {
                    value
                };
                let campaign = match e.campaign {
                    Some(j) => format!(",\"campaign\":\"c{}\"", j + 1),
                    None => String::new(),
                };
                writeln!(
                    out,
                    "{{\"user_id\":\"u{}\",\"timestamp\":{time},\"channel\":{channel}{campaign},\"conversion\":{conv},\"value\":{value}}}",
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
            SynthOptions {
                campaign_stickiness: 0.5,
                ..Default::default()
            },
            SynthOptions {
                campaigns_per_channel: 10,
                campaign_stickiness: -0.1,
                ..Default::default()
            },
        ] {
            assert!(SynthEvents::new(o).is_err());
        }
    }

    /// With stickiness P, a user's touches share the user's theme: the share of pairs of
    /// touches of one user with the same campaign is about P² + (1 − P²)·c, with c the chance
    /// share at P = 0.
    #[test]
    fn sticky_users_stay_within_their_campaign() {
        let share = |p: f64| {
            let opts = SynthOptions {
                events: 50_000,
                campaigns_per_channel: 40,
                campaign_stickiness: p,
                ..Default::default()
            };
            let mut by_user: Vec<(u64, usize)> = SynthEvents::new(opts)
                .unwrap()
                .filter_map(|e| e.campaign.map(|c| (e.user, c)))
                .collect();
            by_user.sort_by_key(|e| e.0); // stable: the order within a user does not matter
            let (mut same, mut all) = (0.0, 0.0);
            for w in by_user.windows(2).filter(|w| w[0].0 == w[1].0) {
                all += 1.0;
                same += f64::from(w[0].1 == w[1].1);
            }
            same / all
        };
        let chance = share(0.0);
        assert!(chance < 0.25, "{chance}");
        let p = 0.8;
        let want = p * p + (1.0 - p * p) * chance;
        let got = share(p);
        assert!((got - want).abs() < 0.03, "{got} vs {want}");
    }
}
