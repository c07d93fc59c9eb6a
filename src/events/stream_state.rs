//! Checkpoints of a [`JourneyStream`]: its whole state as versioned JSON.
//!
//! The format is documented on [`JourneyStream::checkpoint`].

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::build::{JourneyReport, Journeys};
use super::cut::UserCut;
use super::log::{NONE, check_conversion};
use super::stream::{Buffered, JourneyStream, LateReport, StreamConfig};
use crate::error::{Error, Result};

/// The `format` of a checkpoint.
pub const CHECKPOINT_FORMAT: &str = "touchpoint.journey_stream";
/// The `version` this build writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Why a checkpoint cannot be restored; carried by [`Error::Checkpoint`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointProblem {
    /// The input is not valid JSON or does not have the checkpoint's shape.
    #[error("malformed checkpoint JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The input is JSON but not a journey stream checkpoint.
    #[error("not a journey stream checkpoint (format `{found}`, expected `{CHECKPOINT_FORMAT}`)")]
    UnknownFormat {
        /// The `format` found (empty when missing).
        found: String,
    },
    /// The checkpoint was written in a version this build does not read.
    #[error("checkpoint version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version in the input.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The state contradicts itself (edited or corrupted).
    #[error("inconsistent checkpoint: {what}")]
    Inconsistent {
        /// What is wrong.
        what: &'static str,
    },
}

#[derive(Serialize)]
struct CheckpointOut<'a> {
    format: &'static str,
    version: u32,
    config: &'a StreamConfig,
    channels: Vec<&'a str>,
    users: Vec<Option<UserOut<'a>>>,
    free: &'a [u32],
    max_seen: Option<i64>,
    flushed: bool,
    seq: u64,
    report: &'a JourneyReport,
    late: &'a LateReport,
    closed: &'a Journeys,
}

#[derive(Serialize)]
struct UserOut<'a> {
    name: &'a str,
    buffered: &'a [Buffered],
    cut: &'a UserCut,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    format: String,
    #[serde(default)]
    version: u64,
}

#[derive(Deserialize)]
struct CheckpointIn {
    config: StreamConfig,
    channels: Vec<String>,
    users: Vec<Option<UserIn>>,
    free: Vec<u32>,
    max_seen: Option<i64>,
    flushed: bool,
    seq: u64,
    report: JourneyReport,
    late: LateReport,
    closed: Journeys,
}

#[derive(Deserialize)]
struct UserIn {
    name: String,
    buffered: Vec<Buffered>,
    cut: UserCut,
}

fn bad(what: &'static str) -> Error {
    Error::Checkpoint(CheckpointProblem::Inconsistent { what })
}

impl JourneyStream {
    /// Writes the whole state to `out`. Take the closed journeys and write the checkpoint
    /// together: journeys not yet taken are in the checkpoint, journeys taken are not, so a
    /// restore neither loses nor repeats any.
    ///
    /// # Format
    ///
    /// One JSON object: `"format": "touchpoint.journey_stream"`, `"version": 1`, then the
    /// configuration (`config`, as [`StreamConfig`] serializes), the channel vocabulary
    /// (`channels`, names in id order), the user slots (`users`: `null` for a free slot, else the
    /// user's `name`, `buffered` events not yet final and `cut`, the touches not yet in a journey),
    /// the free slots (`free`), the clock (`max_seen`, `flushed`, the arrival counter `seq`), the
    /// counts (`report`, `late`) and the journeys closed but not taken (`closed`). Numbers are
    /// written so that they read back bit for bit. A reader refuses another `format`, a `version`
    /// it does not know, and a state that is not consistent, each with its own
    /// [`CheckpointProblem`].
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn checkpoint<W: Write>(&self, out: W) -> Result<()> {
        let users = self
            .users
            .iter()
            .map(|u| {
                u.as_ref().map(|u| UserOut {
                    name: &u.name,
                    buffered: &u.buffered,
                    cut: &u.cut,
                })
            })
            .collect();
        let state = CheckpointOut {
            format: CHECKPOINT_FORMAT,
            version: CHECKPOINT_VERSION,
            config: &self.config,
            channels: self.channels.iter().map(|(_, n)| n).collect(),
            users,
            free: &self.free,
            max_seen: self.max_seen,
            flushed: self.flushed,
            seq: self.seq,
            report: &self.cutter.report,
            late: &self.late,
            closed: &self.closed,
        };
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer(&mut out, &state).map_err(|e| Error::Io(e.into()))?;
        out.flush()?;
        Ok(())
    }

    /// Reads a stream back from a checkpoint written by [`JourneyStream::checkpoint`].
    ///
    /// # Errors
    /// [`Error::Io`] when reading fails; [`Error::Checkpoint`] with
    /// [`CheckpointProblem::Json`] for malformed input, [`CheckpointProblem::UnknownFormat`],
    /// [`CheckpointProblem::UnsupportedVersion`], or [`CheckpointProblem::Inconsistent`] for a
    /// state that contradicts itself; as [`StreamConfig::validate`] for its configuration.
    pub fn restore<R: Read>(mut input: R) -> Result<JourneyStream> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        let json = |e| Error::Checkpoint(CheckpointProblem::Json(e));
        let header: Header = serde_json::from_slice(&bytes).map_err(json)?;
        if header.format != CHECKPOINT_FORMAT {
            return Err(Error::Checkpoint(CheckpointProblem::UnknownFormat {
                found: header.format,
            }));
        }
        if header.version != u64::from(CHECKPOINT_VERSION) {
            return Err(Error::Checkpoint(CheckpointProblem::UnsupportedVersion {
                found: header.version,
                supported: CHECKPOINT_VERSION,
            }));
        }
        let c: CheckpointIn = serde_json::from_slice(&bytes).map_err(json)?;
        c.config.validate()?;
        let mut s = JourneyStream::from_parts(c.config, c.report);
        for name in &c.channels {
            let before = s.channels.len();
            s.channels
                .intern(name)
                .map_err(|_| bad("a channel name is empty or reserved"))?;
            if s.channels.len() == before {
                return Err(bad("a channel name appears twice"));
            }
        }
        let channels = s.channels.len();
        let mut free = vec![false; c.users.len()];
        for &f in &c.free {
            match free.get_mut(f as usize) {
                Some(slot) if !*slot && c.users[f as usize].is_none() => *slot = true,
                _ => return Err(bad("the free list names a used, repeated or missing slot")),
            }
        }
        if c.users.iter().filter(|u| u.is_none()).count() != c.free.len() {
            return Err(bad("a free slot is missing from the free list"));
        }
        if c.flushed && c.free.len() != c.users.len() {
            return Err(bad("a flushed stream holds user state"));
        }
        let mut names = std::collections::HashSet::new();
        let mut users = Vec::with_capacity(c.users.len());
        for u in c.users {
            let Some(u) = u else {
                users.push(None);
                continue;
            };
            if u.name.is_empty() || !names.insert(u.name.clone()) {
                return Err(bad("a user name is empty or appears twice"));
            }
            if u.buffered.is_empty() && u.cut.pending.is_empty() {
                return Err(bad("a user slot holds no state"));
            }
            for b in &u.buffered {
                let ok = if b.channel == NONE {
                    check_conversion(b.count, b.value).is_ok()
                        && b.order_id.as_ref().is_none_or(|o| !o.is_empty())
                } else {
                    (b.channel as usize) < channels
                };
                if !ok || b.seq >= c.seq {
                    return Err(bad("a buffered event is invalid"));
                }
            }
            let p = &u.cut.pending;
            if p.iter().any(|&(ch, _)| ch as usize >= channels)
                || p.windows(2).any(|w| w[1].1 < w[0].1)
            {
                return Err(bad("a pending touch is invalid or out of order"));
            }
            users.push(Some(JourneyStream::restored_slot(
                u.name.into(),
                u.buffered,
                u.cut,
            )));
        }
        s.users = users;
        s.free = c.free;
        s.max_seen = c.max_seen;
        s.flushed = c.flushed;
        s.seq = c.seq;
        s.late = c.late;
        s.closed = c.closed;
        s.reindex();
        Ok(s)
    }
}
