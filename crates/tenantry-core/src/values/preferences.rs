use serde_json::{Map, Value};

/// A user's preferences: a JSON object, at most [`Preferences::MAX_BYTES`] when serialised and
/// nested at most [`Preferences::MAX_DEPTH`] deep.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preferences(Map<String, Value>);

impl Preferences {
    pub const MAX_BYTES: usize = 16 * 1024;
    pub const MAX_DEPTH: usize = 8;

    pub fn parse(value: Value) -> Result<Preferences, String> {
        if !value.is_object() {
            return Err("must be a JSON object".to_owned());
        }
        let size = serde_json::to_string(&value)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
        if size > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes of JSON", Self::MAX_BYTES));
        }
        if depth_of(&value) > Self::MAX_DEPTH {
            return Err(format!(
                "must be nested at most {} levels deep",
                Self::MAX_DEPTH
            ));
        }
        // PostgreSQL's jsonb cannot hold U+0000, and it has no business in preferences.
        if has_nul(&value) {
            return Err("must not contain the character U+0000".to_owned());
        }
        match value {
            Value::Object(map) => Ok(Preferences(map)),
            _ => Err("must be a JSON object".to_owned()),
        }
    }

    /// Rebuilds preferences read back from storage, which were validated when written.
    pub fn from_stored(map: Map<String, Value>) -> Preferences {
        Preferences(map)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn to_json_string(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn depth_of(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_small_shallow_objects() {
        assert!(Preferences::parse(json!({"theme": "dark"})).is_ok());
        assert!(Preferences::parse(json!(["a"])).is_err());
        assert!(Preferences::parse(json!({"big": "x".repeat(17 * 1024)})).is_err());
        let deep = (0..10).fold(json!(1), |inner, _| json!({ "a": inner }));
        assert!(Preferences::parse(deep).is_err());
        assert!(Preferences::parse(json!({"a": "x\u{0}y"})).is_err());
        assert!(Preferences::parse(json!({"a\u{0}": 1})).is_err());
        assert!(Preferences::parse(json!({"a": [{"b": "\u{0}"}]})).is_err());
    }
}
