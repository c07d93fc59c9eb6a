//! Channel names interned to small integer ids.

use rustc_hash::FxHashMap;

use crate::error::{Error, ParseProblem, Result};

/// State names the Markov model reserves (ChannelAttribution's names); no channel may use them.
pub const RESERVED_NAMES: [&str; 3] = ["(start)", "(conversion)", "(null)"];

/// A channel, interned per [`Channels`] vocabulary. `u32` keeps flat paths small.
///
/// Ids are only meaningful together with the vocabulary that issued them: two tables built
/// separately may give the same channel different ids (merging remaps them by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub(crate) u32);

impl ChannelId {
    /// The id as an index into per-channel vectors (`0..channels.len()`).
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The vocabulary of a table: channel name ⇄ [`ChannelId`].
///
/// Names are arbitrary non-empty UTF-8 strings (spaces, commas, non-Latin letters), except the
/// [`RESERVED_NAMES`]. Ids are issued densely in order of first appearance.
///
/// ```
/// use touchpoint::Channels;
/// let mut ch = Channels::new();
/// let a = ch.intern("Paid Search")?;
/// let b = ch.intern("Email")?;
/// assert_eq!(ch.intern("Paid Search")?, a);
/// assert_eq!(ch.name(b), "Email");
/// assert_eq!(ch.len(), 2);
/// assert!(ch.intern("(start)").is_err());
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Channels {
    names: Vec<Box<str>>,
    ids: FxHashMap<Box<str>, ChannelId>,
}

impl Channels {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `name`, adding it if new.
    ///
    /// # Errors
    /// [`Error::InvalidPath`] if the name is empty or reserved, or if the vocabulary already holds
    /// `u32::MAX` channels.
    pub fn intern(&mut self, name: &str) -> Result<ChannelId> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        validate_name(name)?;
        let id = u32::try_from(self.names.len()).map_err(|_| Error::InvalidParameter {
            model: "Channels",
            name: "channels",
            reason: "more than u32::MAX distinct channels".into(),
        })?;
        let id = ChannelId(id);
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        Ok(id)
    }

    /// The id of `name`, if it is in the vocabulary.
    pub fn get(&self, name: &str) -> Option<ChannelId> {
        self.ids.get(name).copied()
    }

    /// The name of `id`.
    ///
    /// # Panics
    /// If `id` was not issued by this vocabulary (a programming error, not an input error).
    pub fn name(&self, id: ChannelId) -> &str {
        &self.names[id.index()]
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no channel is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// `(id, name)` in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (ChannelId, &str)> + '_ {
        self.names
            .iter()
            .enumerate()
            .map(|(i, n)| (ChannelId(i as u32), &**n))
    }

    /// Ids sorted by channel name: the canonical output order.
    pub fn ids_by_name(&self) -> Vec<ChannelId> {
        let mut ids: Vec<ChannelId> = (0..self.names.len() as u32).map(ChannelId).collect();
        ids.sort_unstable_by(|a, b| self.names[a.index()].cmp(&self.names[b.index()]));
        ids
    }
}

/// Checks a channel name: non-empty after trimming and not reserved.
fn validate_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidPath(ParseProblem::EmptyToken { position: 0 }));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(Error::InvalidPath(ParseProblem::ReservedName {
            name: name.to_string(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_in_first_appearance_order() {
        let mut c = Channels::new();
        for n in ["b", "a", "b", "ü c, d"] {
            c.intern(n).unwrap();
        }
        let names: Vec<_> = c.iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["b", "a", "ü c, d"]);
        let sorted: Vec<_> = c.ids_by_name().into_iter().map(|i| c.name(i)).collect();
        assert_eq!(sorted, ["a", "b", "ü c, d"]);
    }

    #[test]
    fn empty_and_reserved_names_are_refused() {
        let mut c = Channels::new();
        assert!(c.intern("").is_err());
        assert!(c.intern("  ").is_err());
        for r in RESERVED_NAMES {
            assert!(c.intern(r).is_err());
        }
        assert!(c.is_empty());
    }
}
