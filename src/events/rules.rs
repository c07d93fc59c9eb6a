//! Channel grouping: an ordered rule table mapping `(source, medium, campaign)` to a channel.
//!
//! # The rule file format
//!
//! A small CSV file (comma-separated, `"` quoting, lines starting with `#` are comments):
//!
//! ```text
//! # touchpoint channel rules: first matching row wins
//! channel,source,medium,campaign
//! Direct,(direct),(none)|(not set),
//! Paid Search,google|bing,*cp*|ppc|paid*,
//! Newsletter,,email,*weekly*
//! Everything else,,,
//! ```
//!
//! * The header names the `channel` column and any of `source`, `medium`, `campaign`, in any
//!   order (at least one of them).
//! * Each row is one rule: the channel, then one **pattern** per field. A row matches when every
//!   one of its patterns matches (AND); rows are tried top to bottom and the **first match
//!   wins**. To say OR across fields, write two rows with the same channel.
//! * A pattern is a list of alternatives separated by `|` (OR). Each alternative is a glob in
//!   which `*` stands for any run of characters (possibly empty): `google` is equality,
//!   `paid*` a prefix, `*push` a suffix, `*cp*` containment. An empty cell or `*` matches
//!   anything. `|` and `*` cannot be matched literally.
//! * Matching ignores case (both sides are lower-cased) and surrounding blanks. An empty field in
//!   the data is matched as `(not set)`, GA's name for a missing value.
//! * A row that matches no rule gets [`ChannelRules::fallback`] (`Unassigned` unless set); a
//!   last row with empty patterns is a catch-all that replaces it.
//!
//! [`DEFAULT_CHANNEL_RULES`] is the built-in table, in this format.

use std::io::Read;

use rustc_hash::FxHashMap;

use crate::channel::RESERVED_NAMES;
use crate::error::{Error, Location, ParseProblem, Result};

/// The built-in rule table, modelled on the GA4 default channel grouping (current rules, the
/// channels most event logs carry): Direct, Paid Search, Paid Social, Display, Paid Other,
/// Organic Social, Organic Search, Referral, Email, Affiliates, in GA4's order of evaluation.
///
/// The paid-medium regex `^(.*cp.*|ppc|retargeting|paid.*)$` becomes the glob list
/// `*cp*|ppc|retargeting|paid*`. Google's full lists of search and social sites are not
/// vendored (their licence is unclear); a short list of the major sites stands in, with the
/// common host-name variants. Channels GA4 has but this table lacks (shopping, video, audio, SMS,
/// push, cross-network) fall through to a later rule or to `Unassigned`; add rows for them with
/// your own file when your data has them.
pub const DEFAULT_CHANNEL_RULES: &str = "\
# touchpoint default channel rules (modelled on the GA4 default channel group)
# first matching row wins; patterns: `|` = or, `*` = any characters, case-insensitive
channel,source,medium,campaign
Direct,(direct),(none)|(not set),
Paid Search,google|google.*|*.google.*|bing|*.bing.com|duckduckgo|*duckduckgo.com|baidu|*.baidu.com|yandex|*yandex.*|yahoo|*.yahoo.com|ecosia|*ecosia.org|naver|*.naver.com|qwant|*qwant.com,*cp*|ppc|retargeting|paid*,
Paid Social,facebook|*facebook.com|fb|instagram|*instagram.com|ig|linkedin|*linkedin.com|lnkd.in|t.co|twitter|*twitter.com|x.com|pinterest|*pinterest.*|reddit|*reddit.com|tiktok|*tiktok.com|snapchat|*snapchat.com|threads|*threads.net|quora|*quora.com,*cp*|ppc|retargeting|paid*,
Display,,display|banner|expandable|interstitial|cpm,
Paid Other,,*cp*|ppc|retargeting|paid*,
Organic Social,facebook|*facebook.com|fb|instagram|*instagram.com|ig|linkedin|*linkedin.com|lnkd.in|t.co|twitter|*twitter.com|x.com|pinterest|*pinterest.*|reddit|*reddit.com|tiktok|*tiktok.com|snapchat|*snapchat.com|threads|*threads.net|quora|*quora.com,,
Organic Social,,social|social-network|social-media|sm|social network|social media,
Organic Search,google|google.*|*.google.*|bing|*.bing.com|duckduckgo|*duckduckgo.com|baidu|*.baidu.com|yandex|*yandex.*|yahoo|*.yahoo.com|ecosia|*ecosia.org|naver|*.naver.com|qwant|*qwant.com,,
Organic Search,,organic,
Referral,,referral|app|link,
Email,email|e-mail|e_mail|e mail,,
Email,,email|e-mail|e_mail|e mail,
Affiliates,,affiliate,
";

/// The channel given to a row that matches no rule, unless [`ChannelRules::fallback`] is set.
pub const DEFAULT_FALLBACK_CHANNEL: &str = "Unassigned";

/// One glob: `*` matches any run of characters. Stored lower-cased and split at the stars.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Glob {
    /// The pieces between stars (`"*cp*"` → `["", "cp", ""]`); one piece means no star.
    pieces: Vec<String>,
}

impl Glob {
    fn new(pattern: &str) -> Glob {
        Glob {
            pieces: pattern.split('*').map(str::to_string).collect(),
        }
    }

    /// Matches a lower-cased text.
    fn matches(&self, text: &str) -> bool {
        let p = &self.pieces;
        let (first, last) = (&p[0], &p[p.len() - 1]); // `split` yields at least one piece
        if p.len() == 1 {
            return text == first;
        }
        let Some(mut rest) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        // Leftmost greedy matching of the middle pieces is exact for `*`-only globs.
        for mid in &p[1..p.len() - 1] {
            match rest.find(mid.as_str()) {
                Some(i) => rest = &rest[i + mid.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last.as_str())
    }
}

/// A cell of the rule table: alternatives (OR) of globs; `None` matches anything.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    any_of: Vec<Glob>,
    /// The cell as written (for display).
    text: String,
}

impl Pattern {
    /// Parses a cell; `Ok(None)` for a cell that matches anything.
    fn parse(cell: &str) -> std::result::Result<Option<Pattern>, String> {
        let cell = cell.trim();
        if cell.is_empty() || cell.chars().all(|c| c == '*') {
            return Ok(None);
        }
        let mut any_of = Vec::new();
        for alt in cell.split('|') {
            let alt = alt.trim();
            if alt.is_empty() {
                return Err(format!("empty alternative in pattern `{cell}`"));
            }
            any_of.push(Glob::new(&alt.to_lowercase()));
        }
        Ok(Some(Pattern {
            any_of,
            text: cell.to_string(),
        }))
    }

    fn matches(&self, lowered: &str) -> bool {
        self.any_of.iter().any(|g| g.matches(lowered))
    }
}

/// One row of a rule table: the channel and a pattern per field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRule {
    channel: String,
    /// Patterns for source, medium, campaign; `None` matches anything.
    fields: [Option<Pattern>; 3],
}

impl ChannelRule {
    /// The channel this rule assigns.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The patterns as written, for source, medium and campaign (`None` = any).
    pub fn patterns(&self) -> [Option<&str>; 3] {
        [0, 1, 2].map(|i| self.fields[i].as_ref().map(|p| p.text.as_str()))
    }

    fn matches(&self, lowered: &[String; 3]) -> bool {
        self.fields
            .iter()
            .zip(lowered)
            .all(|(p, v)| p.as_ref().is_none_or(|p| p.matches(v)))
    }
}

/// An ordered table of channel rules (the module docs describe the rules and their file
/// format).
///
/// ```
/// use touchpoint::events::ChannelRules;
/// let ga = ChannelRules::default();
/// assert_eq!(ga.channel_for("google", "cpc", ""), "Paid Search");
/// assert_eq!(ga.channel_for("Google", "organic", ""), "Organic Search");
/// assert_eq!(ga.channel_for("(direct)", "(none)", ""), "Direct");
/// assert_eq!(ga.channel_for("newsletter", "email", ""), "Email");
/// assert_eq!(ga.channel_for("partner.example", "affiliate", ""), "Affiliates");
/// assert_eq!(ga.channel_for("what", "ever", ""), "Unassigned");
///
/// let mine = ChannelRules::from_csv("channel,medium\nMail,email|newsletter\nOther,*\n".as_bytes())?;
/// assert_eq!(mine.channel_for("x", "Newsletter", ""), "Mail");
/// assert_eq!(mine.channel_for("google", "cpc", ""), "Other");
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRules {
    rules: Vec<ChannelRule>,
    /// Channel of a row that matches no rule (default [`DEFAULT_FALLBACK_CHANNEL`]).
    pub fallback: String,
}

impl Default for ChannelRules {
    /// The built-in table [`DEFAULT_CHANNEL_RULES`].
    fn default() -> Self {
        // The built-in text is valid: `default_rules_parse` tests it.
        ChannelRules::from_csv(DEFAULT_CHANNEL_RULES.as_bytes()).unwrap_or_else(|_| ChannelRules {
            rules: Vec::new(),
            fallback: DEFAULT_FALLBACK_CHANNEL.into(),
        })
    }
}

/// Field names of the rule file, in the order of [`ChannelRule`]'s patterns.
const FIELDS: [&str; 3] = ["source", "medium", "campaign"];

impl ChannelRules {
    /// Reads a rule file (format in the module docs).
    ///
    /// # Errors
    /// [`Error::Io`] when reading fails; [`Error::Parse`] with the line for a bad header (no
    /// `channel` column, an unknown or repeated column, no field column), a row with the wrong
    /// number of cells, an empty or reserved channel name, or an empty `|` alternative.
    pub fn from_csv<R: Read>(input: R) -> Result<ChannelRules> {
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let bad = |line: u64, reason: String| Error::Parse {
            at: Location {
                line,
                record: line.saturating_sub(2),
            },
            problem: ParseProblem::InvalidRule(reason),
        };
        let head = rdr.headers().map_err(|e| bad(1, e.to_string()))?;
        let header_line = head.position().map_or(1, |p| p.line());
        let header = head.iter().map(str::to_lowercase).collect::<Vec<_>>();
        let mut channel_col = None;
        let mut field_cols = [None; 3];
        for (i, name) in header.iter().enumerate() {
            let slot = match name.as_str() {
                "channel" => &mut channel_col,
                n => match FIELDS.iter().position(|f| *f == n) {
                    Some(f) => &mut field_cols[f],
                    None => {
                        return Err(bad(
                            header_line,
                            format!(
                                "unknown column `{name}` (expected channel, source, medium, campaign)"
                            ),
                        ));
                    }
                },
            };
            if slot.replace(i).is_some() {
                return Err(bad(header_line, format!("column `{name}` appears twice")));
            }
        }
        let Some(channel_col) = channel_col else {
            return Err(bad(
                header_line,
                "the header has no `channel` column".into(),
            ));
        };
        if field_cols.iter().all(Option::is_none) {
            return Err(bad(
                header_line,
                "the header names no field column (source, medium or campaign)".into(),
            ));
        }
        let mut rules = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                bad(line, e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.len() != header.len() {
                return Err(bad(
                    line,
                    format!("expected {} cells, found {}", header.len(), rec.len()),
                ));
            }
            let channel = rec[channel_col].to_string();
            if channel.is_empty() || RESERVED_NAMES.contains(&channel.as_str()) {
                return Err(bad(line, format!("`{channel}` cannot be a channel name")));
            }
            let mut fields = [None, None, None];
            for (f, col) in field_cols.iter().enumerate() {
                if let Some(c) = col {
                    fields[f] = Pattern::parse(&rec[*c]).map_err(|r| bad(line, r))?;
                }
            }
            rules.push(ChannelRule { channel, fields });
        }
        Ok(ChannelRules {
            rules,
            fallback: DEFAULT_FALLBACK_CHANNEL.into(),
        })
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[ChannelRule] {
        &self.rules
    }

    /// The channel of a `(source, medium, campaign)` triple: the first matching rule's, or
    /// [`ChannelRules::fallback`]. Empty fields are matched as `(not set)`.
    pub fn channel_for(&self, source: &str, medium: &str, campaign: &str) -> &str {
        let lowered = [source, medium, campaign].map(|f| {
            let f = f.trim();
            if f.is_empty() {
                "(not set)".to_string()
            } else {
                f.to_lowercase()
            }
        });
        self.rules
            .iter()
            .find(|r| r.matches(&lowered))
            .map_or(self.fallback.as_str(), |r| r.channel.as_str())
    }
}

/// Memoises [`ChannelRules::channel_for`] per distinct triple (event logs repeat few of them),
/// so the rules run once per triple and a lookup allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct RuleCache {
    map: FxHashMap<String, String>,
    key: String,
}

impl RuleCache {
    pub(crate) fn channel_for<'c>(
        &'c mut self,
        rules: &ChannelRules,
        source: &str,
        medium: &str,
        campaign: &str,
    ) -> &'c str {
        self.key.clear();
        for (i, f) in [source, medium, campaign].iter().enumerate() {
            if i > 0 {
                self.key.push('\u{1f}');
            }
            self.key.push_str(f);
        }
        if !self.map.contains_key(self.key.as_str()) {
            let channel = rules.channel_for(source, medium, campaign).to_string();
            self.map.insert(self.key.clone(), channel);
        }
        // Present: inserted just above if it was missing.
        self.map.get(self.key.as_str()).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_parse() {
        let r = ChannelRules::from_csv(DEFAULT_CHANNEL_RULES.as_bytes()).unwrap();
        assert_eq!(r, ChannelRules::default());
        assert_eq!(r.rules().len(), 13);
        let mut channels: Vec<_> = r.rules().iter().map(|r| r.channel()).collect();
        channels.dedup();
        assert_eq!(
            channels,
            [
                "Direct",
                "Paid Search",
                "Paid Social",
                "Display",
                "Paid Other",
                "Organic Social",
                "Organic Search",
                "Referral",
                "Email",
                "Affiliates"
            ]
        );
    }

    #[test]
    fn globs() {
        let m = |p: &str, t: &str| Glob::new(p).matches(t);
        assert!(m("google", "google"));
        assert!(!m("google", "google.com"));
        assert!(m("google.*", "google.co.uk"));
        assert!(!m("google.*", "google"));
        assert!(m("*cp*", "cpc"));
        assert!(m("*cp*", "ppcp"));
        assert!(!m("*cp*", "ppc"));
        assert!(m("paid*", "paid"));
        assert!(m("paid*", "paidsocial"));
        assert!(!m("paid*", "unpaid"));
        assert!(m("*push", "web push"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbxxc"));
        assert!(!m("a*b*c", "axxcxxb"));
        assert!(!m("ab*ba", "aba")); // prefix and suffix may not overlap
        assert!(m("*", ""));
    }

    #[test]
    fn default_grouping_follows_ga4_order() {
        let r = ChannelRules::default();
        let c = |s, m| r.channel_for(s, m, "");
        assert_eq!(c("(direct)", "(none)"), "Direct");
        assert_eq!(c("(direct)", ""), "Direct"); // empty medium is `(not set)`
        assert_eq!(c("google", "cpc"), "Paid Search");
        assert_eq!(c("www.google.com", "ppc"), "Paid Search");
        assert_eq!(c("bing", "paidsearch"), "Paid Search");
        assert_eq!(c("google", "cpm"), "Paid Search"); // cpm contains cp: paid before display
        assert_eq!(c("facebook", "paid_social"), "Paid Social");
        assert_eq!(c("m.facebook.com", "cpc"), "Paid Social");
        assert_eq!(c("dv360", "cpm"), "Display");
        assert_eq!(c("dv360", "banner"), "Display");
        assert_eq!(c("partner", "cpc"), "Paid Other");
        assert_eq!(c("l.instagram.com", "referral"), "Organic Social");
        assert_eq!(c("mastodon", "social"), "Organic Social");
        assert_eq!(c("google", "organic"), "Organic Search");
        assert_eq!(c("DuckDuckGo", "referral"), "Organic Search");
        assert_eq!(c("ecosia", "organic"), "Organic Search");
        assert_eq!(c("blog.example", "referral"), "Referral");
        assert_eq!(c("newsletter", "Email"), "Email");
        assert_eq!(c("e-mail", "(none)"), "Email");
        assert_eq!(c("google", "email"), "Organic Search"); // GA4: search source wins
        assert_eq!(c("network", "affiliate"), "Affiliates");
        assert_eq!(c("(direct)", "cpc"), "Paid Other");
        assert_eq!(c("spotify", "audio"), "Unassigned");
        assert_eq!(c("", ""), "Unassigned");
    }

    #[test]
    fn user_rules_campaign_and_fallback() {
        let text = "# my rules\n\
                    medium , channel,campaign\n\
                    \n\
                    email,Newsletter,*weekly*\n\
                    email|e-mail,Email,\n\
                    \"cpc\",\"Paid, misc\",*\n";
        let mut r = ChannelRules::from_csv(text.as_bytes()).unwrap();
        assert_eq!(r.rules().len(), 3);
        assert_eq!(
            r.rules()[0].patterns(),
            [None, Some("email"), Some("*weekly*")]
        );
        assert_eq!(
            r.channel_for("x", "EMAIL", "The Weekly Digest"),
            "Newsletter"
        );
        assert_eq!(r.channel_for("x", "email", "promo"), "Email");
        assert_eq!(r.channel_for("x", "email", ""), "Email");
        assert_eq!(r.channel_for("x", "cpc", ""), "Paid, misc");
        assert_eq!(r.channel_for("x", "organic", ""), "Unassigned");
        r.fallback = "Other".into();
        assert_eq!(r.channel_for("x", "organic", ""), "Other");
    }

    #[test]
    fn bad_rule_files_name_the_line() {
        let line_of = |text: &str| match ChannelRules::from_csv(text.as_bytes()) {
            Err(Error::Parse {
                at,
                problem: ParseProblem::InvalidRule(_),
            }) => at.line,
            other => panic!("{other:?}"),
        };
        assert_eq!(line_of("source,medium\nx,y\n"), 1); // no channel column
        assert_eq!(line_of("channel\nx\n"), 1); // no field column
        assert_eq!(line_of("channel,source,source\nx,y,z\n"), 1);
        assert_eq!(line_of("channel,sauce\nx,y\n"), 1);
        assert_eq!(line_of("channel,source\nA,a\nB,b||c\n"), 3);
        assert_eq!(line_of("# c\nchannel,source\nA,a\n,b\n"), 4);
        assert_eq!(line_of("channel,source\nA,a\n(start),b\n"), 3);
        assert_eq!(line_of("channel,source\nA,a\nB,b,c\n"), 3);
    }

    #[test]
    fn cache_gives_the_rules_answer() {
        let r = ChannelRules::default();
        let mut cache = RuleCache::default();
        for (s, m) in [
            ("google", "cpc"),
            ("google", "organic"),
            ("google", "cpc"),
            ("", ""),
        ] {
            assert_eq!(cache.channel_for(&r, s, m, ""), r.channel_for(s, m, ""));
        }
        assert_eq!(cache.map.len(), 3);
    }
}
