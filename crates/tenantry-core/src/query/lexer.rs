//! The tokenizer the SCIM and CEQL parsers share. The dialects differ only in their string
//! quotes (SCIM: JSON `"…"` strings; CEQL: SQL `'…'` strings with `''` for a quote, and
//! `` `…` `` for odd identifiers) and in CEQL's symbolic comparison operators.

use super::QueryError;
use super::limits::QueryLimits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Scim,
    Ceql,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A name or keyword, as written.
    Word(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    Comma,
    /// CEQL's `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`.
    Symbol(&'static str),
}

impl Token {
    pub fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("`{w}`"),
            Token::Str(_) => "a string".to_owned(),
            Token::Int(n) => format!("the number {n}"),
            Token::LParen => "`(`".to_owned(),
            Token::RParen => "`)`".to_owned(),
            Token::Comma => "`,`".to_owned(),
            Token::Symbol(s) => format!("`{s}`"),
        }
    }

    pub fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub token: Token,
    pub position: usize,
}

pub fn tokenize(
    input: &str,
    dialect: Dialect,
    limits: &QueryLimits,
) -> Result<Vec<Spanned>, QueryError> {
    if input.len() > limits.max_length {
        return Err(QueryError::new(
            limits.max_length,
            format!("the query is longer than {} bytes", limits.max_length),
        ));
    }
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Token::LParen
            }
            b')' => {
                i += 1;
                Token::RParen
            }
            b',' => {
                i += 1;
                Token::Comma
            }
            b'"' if dialect == Dialect::Scim => {
                let (text, end) = json_string(input, i)?;
                i = end;
                Token::Str(text)
            }
            b'\'' if dialect == Dialect::Ceql => {
                let (text, end) = quoted(input, i, b'\'')?;
                i = end;
                Token::Str(text)
            }
            b'`' if dialect == Dialect::Ceql => {
                let (text, end) = quoted(input, i, b'`')?;
                i = end;
                if text.is_empty() {
                    return Err(QueryError::new(start, "empty `quoted` name"));
                }
                Token::Word(text)
            }
            b'=' | b'!' | b'<' | b'>' if dialect == Dialect::Ceql => {
                let two = input.get(i..i + 2).unwrap_or("");
                let symbol = match two {
                    "!=" => "!=",
                    "<>" => "<>",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ => match c {
                        b'=' => "=",
                        b'<' => "<",
                        b'>' => ">",
                        _ => return Err(QueryError::new(start, "expected `!=` after `!`")),
                    },
                };
                i += symbol.len();
                Token::Symbol(symbol)
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i + 1;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end < bytes.len() && (bytes[end] == b'.' || bytes[end].is_ascii_alphabetic()) {
                    return Err(QueryError::new(start, "numbers must be whole (integers)"));
                }
                let text = &input[i..end];
                let n = text.parse::<i64>().map_err(|_| {
                    QueryError::new(start, format!("{text:?} is not a 64-bit integer"))
                })?;
                i = end;
                Token::Int(n)
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let mut end = i + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || matches!(bytes[end], b'_' | b'.' | b'$' | b'-' | b':'))
                {
                    end += 1;
                }
                i = end;
                Token::Word(input[start..end].to_owned())
            }
            _ => {
                let shown = input[i..].chars().next().unwrap_or('?');
                return Err(QueryError::new(
                    start,
                    format!("unexpected character {shown:?}"),
                ));
            }
        };
        if let Token::Str(s) | Token::Word(s) = &token {
            if s.chars().count() > limits.max_literal {
                return Err(QueryError::new(
                    start,
                    format!("longer than {} characters", limits.max_literal),
                ));
            }
            // PostgreSQL cannot compare with U+0000, and no stored text contains it.
            if s.contains('\0') {
                return Err(QueryError::new(start, "must not contain U+0000"));
            }
        }
        tokens.push(Spanned {
            token,
            position: start,
        });
    }
    Ok(tokens)
}

/// A JSON string starting at `start` (a `"`); returns its value and the offset after it.
fn json_string(input: &str, start: usize) -> Result<(String, usize), QueryError> {
    let bytes = input.as_bytes();
    let mut end = start + 1;
    while end < bytes.len() {
        match bytes[end] {
            b'\\' => end += 2,
            b'"' => {
                let raw = &input[start..=end];
                return serde_json::from_str::<String>(raw)
                    .map(|s| (s, end + 1))
                    .map_err(|e| QueryError::new(start, format!("invalid string: {e}")));
            }
            _ => end += 1,
        }
    }
    Err(QueryError::new(start, "unterminated string"))
}

/// A string quoted with `quote`, where a doubled quote stands for one.
fn quoted(input: &str, start: usize, quote: u8) -> Result<(String, usize), QueryError> {
    let bytes = input.as_bytes();
    let mut text = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                text.push(quote);
                i += 2;
                continue;
            }
            let text = String::from_utf8(text)
                .map_err(|_| QueryError::new(start, "string is not valid UTF-8"))?;
            return Ok((text, i + 1));
        }
        text.push(bytes[i]);
        i += 1;
    }
    Err(QueryError::new(start, "unterminated quote"))
}

/// A cursor over tokens with the helpers both parsers use.
pub struct Tokens<'a> {
    tokens: &'a [Spanned],
    next: usize,
    end: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(tokens: &'a [Spanned], input_len: usize) -> Self {
        Self {
            tokens,
            next: 0,
            end: input_len,
        }
    }

    pub fn peek(&self) -> Option<&'a Spanned> {
        self.tokens.get(self.next)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'a Spanned> {
        self.tokens.get(self.next + ahead)
    }

    pub fn bump(&mut self) -> Option<&'a Spanned> {
        let token = self.tokens.get(self.next);
        if token.is_some() {
            self.next += 1;
        }
        token
    }

    /// Where the next token starts (or the end of input).
    pub fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.position)
    }

    pub fn eat_word(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.token.is_word(keyword)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, wanted: &Token, what: &str) -> Result<&'a Spanned, QueryError> {
        match self.peek() {
            Some(t) if &t.token == wanted => {
                self.next += 1;
                Ok(t)
            }
            other => Err(self.unexpected(other, what)),
        }
    }

    pub fn unexpected(&self, found: Option<&Spanned>, expected: &str) -> QueryError {
        match found {
            Some(t) => QueryError::new(
                t.position,
                format!("expected {expected}, found {}", t.token.describe()),
            ),
            None => QueryError::new(self.end, format!("expected {expected}, found the end")),
        }
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.tokens.len()
    }
}
