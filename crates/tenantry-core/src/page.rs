//! Keyset paging: a page is "the next `limit` rows after this key", which costs the same at any
//! depth, unlike `OFFSET`. The key travels to clients as an opaque cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// A validated page request. `after` is the last key of the previous page, in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<i64>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 1000;

    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }

    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid_field(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(cursor) => Some(decode_cursor(cursor)?),
        };
        Ok(PageRequest { limit, after })
    }

    /// How many rows a store should fetch: one more than the page, to learn whether another
    /// page follows without counting.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in list order.
    pub fn from_overfetch(
        mut rows: Vec<T>,
        request: PageRequest,
        key: impl Fn(&T) -> i64,
    ) -> Page<T> {
        let limit = request.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

const CURSOR_VERSION: &str = "k1:";

fn encode_cursor(key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}{key}"))
}

fn decode_cursor(cursor: &str) -> Result<i64> {
    let bad = || Error::invalid_field("cursor", "is not a cursor this server issued");
    if cursor.len() > 128 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(CURSOR_VERSION)
        .and_then(|key| key.parse::<i64>().ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 50);
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(1001), None).is_err());
        assert!(PageRequest::parse(None, Some("garbage!")).is_err());
        let page = Page::from_overfetch(vec![1, 2, 3], PageRequest::first(2), |n| *n);
        assert_eq!(page.items, [1, 2]);
        let cursor = page.next_cursor.unwrap();
        assert_eq!(
            PageRequest::parse(Some(2), Some(&cursor)).unwrap().after,
            Some(2)
        );
        let last = Page::from_overfetch(vec![1, 2], PageRequest::first(2), |n| *n);
        assert_eq!(last.next_cursor, None);
    }
}
