//! Cloud Elements' CEQL: the `where` clause of a SQL query, without the keyword.
//!
//! ```text
//! expr    = term *( OR term )
//! term    = factor *( AND factor )
//! factor  = "(" expr ")" / NOT factor / cmp
//! cmp     = ident op value
//!         / ident [NOT] LIKE string
//!         / ident [NOT] IN "(" value *( "," value ) ")"
//!         / ident IS [NOT] NULL
//! op      = "=" / "!=" / "<>" / "<" / "<=" / ">" / ">="
//! ident   = [A-Za-z_][A-Za-z0-9_.]* / "`" any "`"
//! value   = string / integer / TRUE / FALSE
//! string  = '…' with '' for a quote
//! ```
//!
//! Keywords are case-insensitive. `LIKE` uses `%` (any run) and `_` (one character) and ignores
//! case on case-folded fields. Dates compare as timestamps: `'2014-01-17'` is midnight UTC.
//! Examples: `createdDate >= '2014-01-17'`, `name LIKE 'Acc%'`, `id in (123,456)`.

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
    let tokens = tokenize(input, Dialect::Ceql, limits)?;
    if tokens.is_empty() {
        return Err(QueryError::new(0, "the where clause is empty"));
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
            .unexpected(Some(extra), "AND, OR or the end of the clause"));
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

    fn deeper(&self, depth: usize) -> Result<usize, QueryError> {
        if depth + 1 > self.limits.max_depth {
            return Err(QueryError::new(
                self.tokens.position(),
                format!("nested deeper than {} levels", self.limits.max_depth),
            ));
        }
        Ok(depth + 1)
    }

    fn factor(&mut self, depth: usize) -> Result<Filter, QueryError> {
        if self.tokens.peek().is_some_and(|t| t.token.is_word("not")) {
            let depth = self.deeper(depth)?;
            self.tokens.bump();
            return Ok(Filter::Not(Box::new(self.factor(depth)?)));
        }
        if self.tokens.peek().is_some_and(|t| t.token == Token::LParen) {
            let depth = self.deeper(depth)?;
            self.tokens.bump();
            let inner = self.or(depth)?;
            self.tokens.expect(&Token::RParen, "`)`")?;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Filter, QueryError> {
        let found = self.tokens.bump();
        let Some((name, name_at)) = found.and_then(|t| match &t.token {
            Token::Word(w) => Some((w.as_str(), t.position)),
            _ => None,
        }) else {
            return Err(self.tokens.unexpected(found, "a field name, NOT or `(`"));
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
        let negate = |f: Filter, negated: bool| if negated { Filter::Not(Box::new(f)) } else { f };
        if self.tokens.eat_word("is") {
            let negated = self.tokens.eat_word("not");
            if !self.tokens.eat_word("null") {
                return Err(self.tokens.unexpected(self.tokens.peek(), "NULL"));
            }
            // IS NULL = not present.
            return Ok(negate(Filter::Present(field), !negated));
        }
        let negated = self.tokens.eat_word("not");
        if self.tokens.eat_word("like") {
            let value_at = self.tokens.position();
            let found = self.tokens.bump();
            let Some(Token::Str(pattern)) = found.map(|t| &t.token) else {
                return Err(self.tokens.unexpected(found, "a quoted pattern"));
            };
            let filter = Filter::like(field, LikePattern::parse_sql(pattern))
                .map_err(|m| QueryError::new(value_at, m))?;
            return Ok(negate(filter, negated));
        }
        if self.tokens.eat_word("in") {
            self.tokens.expect(&Token::LParen, "`(` after IN")?;
            let list_at = self.tokens.position();
            let mut values = vec![self.literal()?];
            while self.tokens.peek().is_some_and(|t| t.token == Token::Comma) {
                self.tokens.bump();
                values.push(self.literal()?);
                if values.len() > self.limits.max_in_values {
                    return Err(QueryError::new(
                        list_at,
                        format!("more than {} values in IN (…)", self.limits.max_in_values),
                    ));
                }
            }
            self.tokens.expect(&Token::RParen, "`,` or `)`")?;
            let filter = Filter::is_in(field, values).map_err(|m| QueryError::new(list_at, m))?;
            return Ok(negate(filter, negated));
        }
        if negated {
            return Err(self
                .tokens
                .unexpected(self.tokens.peek(), "LIKE or IN after NOT"));
        }
        let found = self.tokens.bump();
        let op = match found.map(|t| &t.token) {
            Some(Token::Symbol("=")) => CmpOp::Eq,
            Some(Token::Symbol("!=" | "<>")) => CmpOp::Ne,
            Some(Token::Symbol("<")) => CmpOp::Lt,
            Some(Token::Symbol("<=")) => CmpOp::Le,
            Some(Token::Symbol(">")) => CmpOp::Gt,
            Some(Token::Symbol(">=")) => CmpOp::Ge,
            _ => {
                return Err(self
                    .tokens
                    .unexpected(found, "=, !=, <, <=, >, >=, LIKE, IN or IS"));
            }
        };
        let value_at = self.tokens.position();
        let literal = self.literal()?;
        Filter::cmp(field, op, literal).map_err(|m| QueryError::new(value_at, m))
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let found = self.tokens.bump();
        match found.map(|t| &t.token) {
            Some(Token::Str(s)) => Ok(Literal::Str(s.clone())),
            Some(Token::Int(n)) => Ok(Literal::Int(*n)),
            Some(t) if t.is_word("true") => Ok(Literal::Bool(true)),
            Some(t) if t.is_word("false") => Ok(Literal::Bool(false)),
            _ => Err(self
                .tokens
                .unexpected(found, "a value ('string', a number, TRUE or FALSE)")),
        }
    }
}
