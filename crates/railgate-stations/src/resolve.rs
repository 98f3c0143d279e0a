//! Resolution of user input to one station, prefix search and "did you mean"
//! suggestions. The rules are documented on the parent module.

use std::borrow::Cow;

use super::{Station, StationDirectory};

/// Most suggestions an [`ResolveError::Unknown`] carries.
const MAX_SUGGESTIONS: usize = 5;
/// Most candidates an [`ResolveError::Ambiguous`] carries.
const MAX_CANDIDATES: usize = 10;
/// Longest query (in characters) compared by edit distance; the longest
/// pinyin in the list has 21 letters. Longer input gets prefix suggestions
/// only, which keeps the cost of garbage input bounded.
const MAX_FUZZY_LEN: usize = 32;

/// User input that does not name exactly one station.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ResolveError {
    /// The input is blank.
    #[error("station is empty: give a Chinese name, full pinyin, pinyin initials or a telecode")]
    Empty,
    /// Nothing matches. `suggestions` holds up to 5 station names.
    #[error("unknown station {input:?}{}", did_you_mean(.suggestions))]
    Unknown {
        input: String,
        suggestions: Vec<String>,
    },
    /// Pinyin or initials shared by several stations. `candidates` holds
    /// their names (at most 10), best first.
    #[error(
        "{input:?} matches several stations: {}; use the Chinese name or the telecode",
        .candidates.join(", ")
    )]
    Ambiguous {
        input: String,
        candidates: Vec<String>,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}", suggestions.join(", "))
    }
}

/// `s` without any whitespace (borrowed when it has none).
pub(super) fn compact(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_whitespace) {
        Cow::Owned(s.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Lowercase ASCII pinyin key of a compact ASCII input, apostrophes dropped
/// (`Xi'an` → `xian`).
fn pinyin_key(ascii: &str) -> String {
    ascii
        .bytes()
        .filter(|&b| b != b'\'')
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

impl StationDirectory {
    /// Resolve any user form (Chinese name, telecode, full pinyin, pinyin
    /// initials) to one station; see the module documentation for the rules.
    pub fn resolve(&self, input: &str) -> Result<&Station, ResolveError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ResolveError::Empty);
        }
        let query = compact(trimmed);
        // 1. Chinese name, optionally followed by 站.
        if let Some(station) = self.by_compact_name(&query).or_else(|| {
            query
                .strip_suffix('站')
                .and_then(|name| self.by_compact_name(name))
        }) {
            return Ok(station);
        }
        if query.is_ascii() {
            // 2. Uppercase telecode.
            if query.len() == 3 && query.bytes().all(|b| b.is_ascii_uppercase()) {
                if let Some(station) = self.single(self.telecodes.exact(&self.stations, &query)) {
                    return Ok(station);
                }
            }
            let key = pinyin_key(&query);
            // 3. Full pinyin, then 4. initials.
            for index in [&self.pinyins, &self.initials] {
                match index.exact(&self.stations, &key) {
                    [] => {}
                    [id] => return Ok(self.station(*id)),
                    ids => {
                        let mut major = ids.iter().filter(|id| self.is_major(**id));
                        if let (Some(id), None) = (major.next(), major.next()) {
                            return Ok(self.station(*id));
                        }
                        return Err(ResolveError::Ambiguous {
                            input: trimmed.to_owned(),
                            candidates: self.ranked_names(ids.to_vec(), MAX_CANDIDATES),
                        });
                    }
                }
            }
            // 5. Telecode, any case.
            if let Some(station) = self.by_telecode(&key) {
                return Ok(station);
            }
        }
        Err(ResolveError::Unknown {
            input: trimmed.to_owned(),
            suggestions: self.suggestions(&query),
        })
    }

    /// Prefix search over Chinese name, full pinyin, pinyin initials and
    /// telecode (ASCII case-insensitive, whitespace ignored). Stations that
    /// match one of those exactly come first, then shorter names, then the
    /// list's index. Returns at most `limit` stations.
    pub fn lookup(&self, query: &str, limit: usize) -> Vec<&Station> {
        let query = compact(query.trim());
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        // (station id, matched exactly)
        let mut hits: Vec<(u32, bool)> = Vec::new();
        let mut collect = |ids: &[u32], exact: &dyn Fn(&Station) -> bool| {
            hits.extend(ids.iter().map(|&id| (id, exact(self.station(id)))));
        };
        collect(self.names.prefix(&self.stations, &query), &|s| {
            s.name == *query
        });
        if query.is_ascii() {
            let key = pinyin_key(&query);
            if !key.is_empty() {
                collect(self.pinyins.prefix(&self.stations, &key), &|s| {
                    s.pinyin == key
                });
                collect(self.initials.prefix(&self.stations, &key), &|s| {
                    s.short_pinyin == key
                });
                if key.len() <= 3 {
                    let upper = key.to_ascii_uppercase();
                    collect(self.telecodes.prefix(&self.stations, &upper), &|s| {
                        s.telecode == upper
                    });
                }
            }
        }
        // One entry per station, exact if any of its fields matched exactly.
        hits.sort_unstable_by_key(|&(id, exact)| (id, !exact));
        hits.dedup_by_key(|&mut (id, _)| id);
        hits.sort_unstable_by_key(|&(id, exact)| (!exact, self.rank(id), id));
        hits.truncate(limit);
        hits.into_iter().map(|(id, _)| self.station(id)).collect()
    }

    /// Names of `ids`, shorter names first, then by list index; at most `max`.
    fn ranked_names(&self, mut ids: Vec<u32>, max: usize) -> Vec<String> {
        ids.sort_unstable_by_key(|&id| (self.rank(id), id));
        ids.truncate(max);
        ids.into_iter()
            .map(|id| self.station(id).name.clone())
            .collect()
    }

    /// "Did you mean" names for an unresolved, compact, non-empty query.
    fn suggestions(&self, query: &str) -> Vec<String> {
        let prefixed = self.lookup(query, MAX_SUGGESTIONS);
        if !prefixed.is_empty() {
            return prefixed.into_iter().map(|s| s.name.clone()).collect();
        }
        // Nothing starts with the query: rank every station by how close its
        // pinyin / initials (ASCII query) or name (other query) is. A target
        // that contains the query beats one that is a few edits away.
        if query.chars().count() > MAX_FUZZY_LEN {
            return Vec::new();
        }
        let mut row = Vec::new();
        let mut scored: Vec<(Closeness, (u32, u32), u32)> = Vec::new();
        if query.is_ascii() {
            let key = pinyin_key(query);
            if key.is_empty() {
                return Vec::new();
            }
            let max = max_distance(key.len());
            for (id, station) in self.stations.iter().enumerate() {
                let best = [&station.pinyin, &station.short_pinyin]
                    .into_iter()
                    .filter_map(|target| closeness(&key, target, max, &mut row))
                    .min();
                if let Some(score) = best {
                    scored.push((score, self.rank(id as u32), id as u32));
                }
            }
        } else {
            let chars: Vec<char> = query.chars().collect();
            let max = max_distance(chars.len());
            for (id, station) in self.stations.iter().enumerate() {
                let score = if station.name.contains(query) {
                    Some(Closeness::Contains(
                        station.name.chars().count() - chars.len(),
                    ))
                } else {
                    levenshtein(&chars, station.name.chars(), max, &mut row).map(Closeness::Edits)
                };
                if let Some(score) = score {
                    scored.push((score, self.rank(id as u32), id as u32));
                }
            }
        }
        scored.sort_unstable();
        scored
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, _, id)| self.station(id).name.clone())
            .collect()
    }
}

/// Largest edit distance worth suggesting for a query of `len` characters.
fn max_distance(len: usize) -> usize {
    match len {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    }
}

/// How close a station is to a query that matched nothing by prefix; the
/// derived order is best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Closeness {
    /// The target contains the query, with this many extra characters.
    Contains(usize),
    /// The target is this many edits away.
    Edits(usize),
}

/// How close an ASCII `key` is to `target`, if close enough to suggest:
/// `target` contains `key`, or is within `max` edits of it.
fn closeness(key: &str, target: &str, max: usize, row: &mut Vec<usize>) -> Option<Closeness> {
    if target.contains(key) {
        return Some(Closeness::Contains(target.len() - key.len()));
    }
    if target.len().abs_diff(key.len()) > max {
        return None;
    }
    levenshtein(key.as_bytes(), target.bytes(), max, row).map(Closeness::Edits)
}

/// Levenshtein distance between `a` and the sequence `b` if it is at most
/// `max`, else `None` (given up as soon as every path exceeds `max`).
/// `row` is reused as the single row of the dynamic-programming table.
fn levenshtein<T: PartialEq + Copy>(
    a: &[T],
    b: impl Iterator<Item = T>,
    max: usize,
    row: &mut Vec<usize>,
) -> Option<usize> {
    row.clear();
    row.extend(0..=a.len());
    for (j, bc) in b.enumerate() {
        // `diag` is the previous row's value at i; `row[i]` is this row's.
        let mut diag = row[0];
        row[0] = j + 1;
        let mut best = row[0];
        for (i, &ac) in a.iter().enumerate() {
            let above = row[i + 1];
            row[i + 1] = (diag + usize::from(ac != bc))
                .min(above + 1)
                .min(row[i] + 1);
            best = best.min(row[i + 1]);
            diag = above;
        }
        if best > max {
            return None;
        }
    }
    Some(row[a.len()]).filter(|&d| d <= max)
}

#[cfg(test)]
mod levenshtein_tests {
    use super::levenshtein;

    fn distance(a: &str, b: &str) -> usize {
        levenshtein(a.as_bytes(), b.bytes(), usize::MAX, &mut Vec::new()).unwrap()
    }

    #[test]
    fn known_distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("beijingnn", "beijingnan"), 1);
        assert_eq!(distance("flaw", "lawn"), 2);
        let chars: Vec<char> = "北京难".chars().collect();
        assert_eq!(
            levenshtein(&chars, "北京南".chars(), 1, &mut Vec::new()),
            Some(1)
        );
        // Over the limit: given up.
        assert_eq!(
            levenshtein(b"kitten", "sitting".bytes(), 2, &mut Vec::new()),
            None
        );
        assert_eq!(
            levenshtein(b"abc", "xyzabc".bytes(), 2, &mut Vec::new()),
            None
        );
        assert_eq!(
            levenshtein(b"abc", "xyzabc".bytes(), 3, &mut Vec::new()),
            Some(3)
        );
    }
}
