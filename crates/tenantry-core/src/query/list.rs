//! A validated list request: which rows (filter, free text), in which order (sort), from where
//! (cursor) and how many (limit) — and the tamper-evident cursor that continues it.
//!
//! Pages are keyset pages: "the next `limit` rows after (sort value, id)". A cursor carries that
//! key plus a fingerprint of the query it belongs to, signed with the installation's cursor key,
//! so a client can neither forge a position nor reuse a cursor with another filter or sort.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::QueryError;
use super::ast::{Filter, Value};
use super::fields::{FieldKind, FieldSpec, ListResource};
use crate::error::{Error, Result};

type HmacSha256 = hmac::Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static FieldSpec,
    pub order: SortOrder,
}

impl SortKey {
    /// Parses `field` or `-field` (descending) against the resource's sortable fields.
    pub fn parse(resource: ListResource, raw: &str) -> Result<SortKey, String> {
        let (name, order) = match raw.strip_prefix('-') {
            Some(name) => (name, SortOrder::Desc),
            None => (raw.strip_prefix('+').unwrap_or(raw), SortOrder::Asc),
        };
        let sortable: Vec<&str> = resource
            .fields()
            .iter()
            .filter(|f| f.sortable)
            .map(|f| f.name)
            .collect();
        match resource.field(name) {
            Some(field) if field.sortable => Ok(SortKey { field, order }),
            _ => Err(format!(
                "must be one of {} (prefix - for descending)",
                sortable.join(", ")
            )),
        }
    }

    pub fn by_id(resource: ListResource, order: SortOrder) -> SortKey {
        SortKey {
            field: resource.id_field(),
            order,
        }
    }

    fn describe(&self) -> String {
        let sign = if self.order == SortOrder::Desc {
            "-"
        } else {
            ""
        };
        format!("{sign}{}", self.field.name)
    }
}

/// Where the previous page ended: the sort field's value and the id of its last row.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyset {
    pub value: Value,
    pub id: i64,
}

/// The installation's key for signing cursors; shared by every server on one database.
#[derive(Clone, Copy)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    pub fn new(bytes: [u8; 32]) -> CursorKey {
        CursorKey(bytes)
    }

    pub fn random() -> CursorKey {
        CursorKey(crate::auth::secret::random_key())
    }

    fn mac(&self, payload: &[u8]) -> Result<[u8; 16]> {
        let mut mac = HmacSha256::new_from_slice(&self.0)
            .map_err(|e| Error::internal(format!("cursor key: {e}")))?;
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        Ok(tag)
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub resource: ListResource,
    pub filter: Option<Filter>,
    /// Free text, case-folded and trimmed.
    pub search: Option<String>,
    pub sort: SortKey,
    /// The cursor the client sent, not yet verified; services turn it into `after`.
    pub cursor: Option<String>,
    pub after: Option<Keyset>,
    pub limit: u32,
    /// Rows to skip before the page, for surfaces that page by offset (Cloud Elements); at
    /// most [`ListRequest::MAX_OFFSET`]. Keyset cursors are the way to go further.
    pub offset: u32,
    /// Whether the client asked for a (capped) total count.
    pub count: bool,
    /// Where that count stops: [`ListRequest::COUNT_CAP`] unless a surface needs more (offset
    /// paging must be able to count as far as an offset may reach).
    pub count_cap: u64,
}

/// The native API's list parameters, as the client sent them.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeListParams<'a> {
    /// A SCIM filter.
    pub filter: Option<&'a str>,
    /// Free text.
    pub q: Option<&'a str>,
    /// `field` or `-field`.
    pub sort: Option<&'a str>,
    pub limit: Option<u32>,
    pub cursor: Option<&'a str>,
    pub count: Option<bool>,
}

impl ListRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 1000;
    /// Totals stop counting here and say "at least".
    pub const COUNT_CAP: u64 = 10_000;
    pub const MAX_SEARCH_CHARS: usize = 100;
    /// The deepest an offset may reach: skipping rows costs what reading them costs.
    pub const MAX_OFFSET: u32 = 100_000;

    /// The first page of everything, in the resource's default order.
    pub fn all(resource: ListResource, limit: u32) -> ListRequest {
        ListRequest {
            resource,
            filter: None,
            search: None,
            sort: resource.default_sort(),
            cursor: None,
            after: None,
            limit,
            offset: 0,
            count: false,
            count_cap: Self::COUNT_CAP,
        }
    }

    /// Parses the native API's parameters: SCIM `filter`, free-text `q`, `sort`, `limit`,
    /// `cursor` and `count`, reporting every bad parameter at once.
    pub fn native(resource: ListResource, params: &NativeListParams<'_>) -> Result<ListRequest> {
        let mut fields = crate::error::FieldCollector::new();
        let limits = super::QueryLimits::DEFAULT;
        let filter = match params.filter.map(str::trim).filter(|f| !f.is_empty()) {
            None => Some(None),
            Some(text) => fields.take(
                "filter",
                super::scim::parse(text, &resource, &limits)
                    .map(Some)
                    .map_err(|e| e.to_string()),
            ),
        };
        let search = fields.take("q", Self::parse_search(params.q, resource));
        let sort = match params.sort {
            None | Some("") => Some(resource.default_sort()),
            Some(raw) => fields.take("sort", SortKey::parse(resource, raw)),
        };
        let limit = fields.take("limit", Self::validate_limit(params.limit));
        fields.finish_with(|| {
            Some(ListRequest {
                resource,
                filter: filter?,
                search: search?,
                sort: sort?,
                cursor: params.cursor.filter(|c| !c.is_empty()).map(str::to_owned),
                after: None,
                limit: limit?,
                offset: 0,
                count: params.count.unwrap_or(false),
                count_cap: Self::COUNT_CAP,
            })
        })
    }

    pub fn validate_limit(limit: Option<u32>) -> Result<u32, String> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(format!("must be between 1 and {}", Self::MAX_LIMIT));
        }
        Ok(limit)
    }

    /// Folds and bounds free text; blank means none.
    pub fn parse_search(
        raw: Option<&str>,
        resource: ListResource,
    ) -> Result<Option<String>, String> {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if !resource.searchable_by_text() {
            return Err("free-text search is available on accounts and users".to_owned());
        }
        if text.chars().count() > Self::MAX_SEARCH_CHARS {
            return Err(format!(
                "must be at most {} characters",
                Self::MAX_SEARCH_CHARS
            ));
        }
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Some(crate::values::fold(text)))
    }

    /// Verifies the client's cursor (if any) and sets `after` from it.
    pub fn resolve_cursor(&mut self, key: &CursorKey) -> Result<()> {
        match self.cursor.take() {
            Some(cursor) => self.resume(&cursor, key),
            None => Ok(()),
        }
    }

    /// One more row than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// What identifies this query apart from its position: a cursor is only valid for the same
    /// resource, filter, search and sort.
    fn fingerprint(&self) -> String {
        let text = format!(
            "{:?}|{}|{}|{}",
            self.resource,
            self.filter
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            self.search.as_deref().unwrap_or(""),
            self.sort.describe()
        );
        let digest = Sha256::digest(text.as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..9])
    }

    /// Sets `after` from a cursor issued for this same query.
    pub fn resume(&mut self, cursor: &str, key: &CursorKey) -> Result<()> {
        let bad = || Error::invalid_field("cursor", "is not a cursor for this query");
        if cursor.len() > 512 {
            return Err(bad());
        }
        let (payload, tag) = cursor.split_once('.').ok_or_else(bad)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        let expected = key.mac(&payload)?;
        let tag_ok: bool =
            subtle::ConstantTimeEq::ct_eq(tag.as_slice(), expected.as_slice()).into();
        if !tag_ok {
            return Err(bad());
        }
        let decoded: CursorPayload = serde_json::from_slice(&payload).map_err(|_| bad())?;
        if decoded.q != self.fingerprint() {
            return Err(bad());
        }
        let value = decoded.k.into_value(self.sort.field).ok_or_else(bad)?;
        self.after = Some(Keyset {
            value,
            id: decoded.i,
        });
        Ok(())
    }

    /// The cursor that continues after `last`.
    pub fn cursor_after(&self, last: &Keyset, key: &CursorKey) -> Result<String> {
        let payload = CursorPayload {
            k: CursorValue::from_value(&last.value),
            i: last.id,
            q: self.fingerprint(),
        };
        let payload = serde_json::to_vec(&payload).map_err(Error::internal)?;
        let tag = key.mac(&payload)?;
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// Wraps a parse error of the `filter`-like parameter `param` as a field error.
    pub fn filter_error(param: &str, error: QueryError) -> Error {
        Error::invalid_field(param, error.to_string())
    }

    /// The id-and-sort-value position of `row`, for the next page's cursor.
    pub fn keyset_of<T: super::keyed::Keyed>(&self, row: &T) -> Keyset {
        Keyset {
            value: row.sort_value(self.sort.field.id),
            id: row.id(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CursorPayload {
    k: CursorValue,
    i: i64,
    q: String,
}

#[derive(Serialize, Deserialize)]
enum CursorValue {
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "n")]
    Int(i64),
    #[serde(rename = "b")]
    Bool(bool),
    /// Microseconds since the epoch.
    #[serde(rename = "t")]
    Time(i64),
}

impl CursorValue {
    fn from_value(value: &Value) -> CursorValue {
        match value {
            Value::Text(s) => CursorValue::Text(s.clone()),
            Value::Int(n) => CursorValue::Int(*n),
            Value::Bool(b) => CursorValue::Bool(*b),
            Value::Time(t) => CursorValue::Time(
                i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX),
            ),
        }
    }

    fn into_value(self, field: &FieldSpec) -> Option<Value> {
        match (self, field.kind) {
            (
                CursorValue::Text(s),
                FieldKind::Text | FieldKind::TextFolded | FieldKind::Enum(_),
            ) => Some(Value::Text(s)),
            (CursorValue::Int(n), FieldKind::Integer) => Some(Value::Int(n)),
            (CursorValue::Bool(b), FieldKind::Boolean) => Some(Value::Bool(b)),
            (CursorValue::Time(us), FieldKind::Timestamp) => {
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
                    .ok()
                    .map(Value::Time)
            }
            _ => None,
        }
    }
}

/// A page of records, with the cursor for the next one and, when asked for, a total.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: Option<Total>,
}

/// A row count that stops at [`ListRequest::COUNT_CAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub value: u64,
    /// False when counting stopped at the cap: there are at least `value` rows.
    pub exact: bool,
}

impl Total {
    pub fn capped(counted: u64) -> Total {
        Self::capped_at(counted, ListRequest::COUNT_CAP)
    }

    /// A count that stopped at `cap + 1` rows, as a total.
    pub fn capped_at(counted: u64, cap: u64) -> Total {
        if counted > cap {
            Total {
                value: cap,
                exact: false,
            }
        } else {
            Total {
                value: counted,
                exact: true,
            }
        }
    }
}

impl<T> ListPage<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> ListPage<U> {
        ListPage {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}
