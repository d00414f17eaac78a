//! The native `filter` parameter: SCIM 2.0 filter syntax (RFC 7644 §3.4.2.2).
//!
//! ```text
//! filter    = term *( "or" term )
//! term      = factor *( "and" factor )
//! factor    = "not" "(" filter ")" / "(" filter ")" / attrExp
//! attrExp   = attr "pr" / attr compareOp value
//! compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "ge" / "lt" / "le"
//! value     = "true" / "false" / "null" / integer / string
//! attr      = a field name of the listed resource, case-insensitive
//! string    = a JSON string: "…" with \" \\ \n \uXXXX escapes
//! ```
//!
//! Keywords and operators are case-insensitive. `co`, `sw`, `ew` apply to text fields; text
//! comparisons on case-folded fields (email, names) ignore case. Dates are strings:
//! `"2024-01-17"` (midnight UTC) or RFC 3339. Example:
//! `email sw "ann" and (status eq "active" or not (last_login pr))`.

use super::QueryError;
use super::ast::{CmpOp, Filter, LikePattern, Literal};
use super::fields::{FieldNames, unknown_field};
use super::lexer::{Dialect, Token, Tokens, tokenize};
use super::limits::QueryLimits;

/// Parses `input` over the fields `fields` knows by the names this surface uses.
pub fn parse(
    input: &str,
    fields: &dyn FieldNames,
    limits: &QueryLimits,
) -> Result<Filter, QueryError> {
    let tokens = tokenize(input, Dialect::Scim, limits)?;
    if tokens.is_empty() {
        return Err(QueryError::new(0, "the filter is empty"));
    }
    let mut parser = Parser {
        tokens: Tokens::new(&tokens, input.len()),
        fields,
        limits,
        terms: 0,
    };
    let filter = parser.or(0)?;
    if let Some(extra) = parser.tokens.peek() {
        return Err(parser
            .tokens
            .unexpected(Some(extra), "`and`, `or` or the end of the filter"));
    }
    Ok(filter)
}

struct Parser<'a> {
    tokens: Tokens<'a>,
    fields: &'a dyn FieldNames,
    limits: &'a QueryLimits,
    terms: usize,
}

impl Parser<'_> {
    fn or(&mut self, depth: usize) -> Result<Filter, QueryError> {
        let mut children = vec![self.and(depth)?];
        while self.tokens.eat_word("or") {
            children.push(self.and(depth)?);
        }
        Ok(if children.len() == 1 {
            children.remove(0)
        } else {
            Filter::Or(children)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Filter, QueryError> {
        let mut children = vec![self.factor(depth)?];
        while self.tokens.eat_word("and") {
            children.push(self.factor(depth)?);
        }
        Ok(if children.len() == 1 {
            children.remove(0)
        } else {
            Filter::And(children)
        })
    }

    fn nested(&mut self, depth: usize) -> Result<Filter, QueryError> {
        let position = self.tokens.position();
        if depth + 1 > self.limits.max_depth {
            return Err(QueryError::new(
                position,
                format!("nested deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.tokens.expect(&Token::LParen, "`(`")?;
        let inner = self.or(depth + 1)?;
        self.tokens.expect(&Token::RParen, "`)`")?;
        Ok(inner)
    }

    fn factor(&mut self, depth: usize) -> Result<Filter, QueryError> {
        let is_not = self.tokens.peek().is_some_and(|t| t.token.is_word("not"))
            && self
                .tokens
                .peek_at(1)
                .is_some_and(|t| t.token == Token::LParen);
        if is_not {
            self.tokens.bump();
            return Ok(Filter::Not(Box::new(self.nested(depth)?)));
        }
        if self.tokens.peek().is_some_and(|t| t.token == Token::LParen) {
            return self.nested(depth);
        }
        if let Some(not) = self.tokens.peek().filter(|t| t.token.is_word("not")) {
            return Err(QueryError::new(
                not.position,
                "`not` needs a parenthesised filter: not (…)",
            ));
        }
        self.attribute_expression()
    }

    fn attribute_expression(&mut self) -> Result<Filter, QueryError> {
        let found = self.tokens.bump();
        let Some((name, name_at)) = found.and_then(|t| match &t.token {
            Token::Word(w) => Some((w.as_str(), t.position)),
            _ => None,
        }) else {
            return Err(self.tokens.unexpected(found, "a field name, `not` or `(`"));
        };
        let field = self
            .fields
            .resolve(name)
            .ok_or_else(|| QueryError::new(name_at, unknown_field(self.fields, name)))?;
        self.terms += 1;
        if self.terms > self.limits.max_terms {
            return Err(QueryError::new(
                name_at,
                format!("more than {} comparisons", self.limits.max_terms),
            ));
        }
        let found = self.tokens.bump();
        let Some((op, op_at)) = found.and_then(|t| match &t.token {
            Token::Word(w) => Some((w.to_ascii_lowercase(), t.position)),
            _ => None,
        }) else {
            return Err(self.tokens.unexpected(
                found,
                "an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)",
            ));
        };
        let at = |message: String| QueryError::new(op_at, message);
        if op == "pr" {
            return Ok(Filter::Present(field));
        }
        let value_at = self.tokens.position();
        let literal = self.literal()?;
        let cmp =
            |op| Filter::cmp(field, op, literal.clone()).map_err(|m| QueryError::new(value_at, m));
        match op.as_str() {
            "eq" => cmp(CmpOp::Eq),
            "ne" => cmp(CmpOp::Ne),
            "gt" => cmp(CmpOp::Gt),
            "ge" => cmp(CmpOp::Ge),
            "lt" => cmp(CmpOp::Lt),
            "le" => cmp(CmpOp::Le),
            "co" | "sw" | "ew" => {
                let Literal::Str(text) = &literal else {
                    return Err(QueryError::new(value_at, format!("`{op}` needs a string")));
                };
                let pattern = match op.as_str() {
                    "co" => LikePattern::contains(text),
                    "sw" => LikePattern::starts_with(text),
                    _ => LikePattern::ends_with(text),
                };
                Filter::like(field, pattern).map_err(at)
            }
            other => Err(at(format!(
                "unknown operator {other:?}; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr"
            ))),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let found = self.tokens.bump();
        match found.map(|t| &t.token) {
            Some(Token::Str(s)) => Ok(Literal::Str(s.clone())),
            Some(Token::Int(n)) => Ok(Literal::Int(*n)),
            Some(t) if t.is_word("true") => Ok(Literal::Bool(true)),
            Some(t) if t.is_word("false") => Ok(Literal::Bool(false)),
            Some(t) if t.is_word("null") => Ok(Literal::Null),
            _ => Err(self.tokens.unexpected(
                found,
                "a value (a \"string\", a number, true, false or null)",
            )),
        }
    }
}
