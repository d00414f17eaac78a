//! Parser tests: snapshots of what each syntax turns into (or how it fails), and a property
//! test that printing a filter and parsing it back gives the same tree.

use proptest::prelude::*;

use super::ast::{CmpOp, Filter, LikePattern, Literal};
use super::fields::{FieldKind, FieldSpec, ListResource};
use super::limits::QueryLimits;
use super::{ceql, fulltext, scim};

fn native(resource: ListResource) -> ListResource {
    resource
}

fn render(result: Result<Filter, super::QueryError>) -> String {
    match result {
        Ok(filter) => format!("ok: {filter}"),
        Err(error) => format!("error: {error}"),
    }
}

fn scim_users(input: &str) -> String {
    render(scim::parse(
        input,
        &native(ListResource::Users),
        &QueryLimits::DEFAULT,
    ))
}

fn ceql_accounts(input: &str) -> String {
    render(ceql::parse(
        input,
        &native(ListResource::Accounts),
        &QueryLimits::DEFAULT,
    ))
}

#[test]
fn scim_filters() {
    let cases = [
        r#"email sw "ann" and status eq "active""#,
        r#"EMAIL SW "Ann" AND Status EQ "ACTIVE""#,
        r#"email co "@example.com" or (first_name eq "Ann" and not (last_login pr))"#,
        r#"created ge "2024-01-17" and created lt "2024-02-01T10:30:00.5+02:00""#,
        r#"id gt 100 and email_verified eq true and role ne "owner""#,
        r#"username eq null"#,
        r#"last_name ew "son\"s\u00e9""#,
        r#"((email pr))"#,
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| format!("{c}\n  => {}", scim_users(c)))
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn scim_errors_name_the_position_and_what_was_expected() {
    let cases = [
        "",
        "email",
        r#"email eq"#,
        r#"email zz "x""#,
        r#"nosuch eq "x""#,
        r#"email eq "unterminated"#,
        r#"id eq "twelve""#,
        r#"id co "1""#,
        r#"status gt "active""#,
        r#"status eq "gone""#,
        r#"created gt "yesterday""#,
        r#"email eq "a" email eq "b""#,
        r#"(email eq "a""#,
        r#"email eq 'single quotes'"#,
        r#"id eq 1.5"#,
        r#"id eq 99999999999999999999"#,
        r#"email eq "nul\u0000""#,
        r#"not email pr"#,
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| format!("{c}\n  => {}", scim_users(c)))
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}

/// Found by the `scim` fuzz target: "-2026-01-01" parsed as a date that RFC 3339 cannot write,
/// so the filter could not be printed; and "9999-12-31T23:30:00-01:00" panicked on its way to
/// UTC (a 500 through the API).
#[test]
fn times_rfc3339_cannot_write_are_refused_as_bad_dates() {
    for input in [
        r#"created gt "-2026-01-01""#,
        r#"created gt "0000-01-01T00:00:00+01:00""#,
        r#"created lt "9999-12-31T23:30:00-01:00""#,
    ] {
        let rendered = scim_users(input);
        assert!(
            rendered.starts_with("error: ") && rendered.contains("expects a date"),
            "{input} => {rendered}"
        );
    }
    let cloud_elements = ceql_accounts("created > '-2026-01-01'");
    assert!(
        cloud_elements.contains("expects a date"),
        "{cloud_elements}"
    );
    for edge in [
        r#"created ge "0000-01-01""#,
        r#"created le "9999-12-31T23:59:59.999999Z""#,
        r#"created ge "0000-01-01T01:00:00+01:00""#,
    ] {
        let filter = scim::parse(edge, &ListResource::Users, &QueryLimits::DEFAULT)
            .unwrap_or_else(|e| panic!("{edge}: {e}"));
        let again = scim::parse(
            &filter.to_string(),
            &ListResource::Users,
            &QueryLimits::DEFAULT,
        );
        assert_eq!(again.ok(), Some(filter), "{edge}");
    }
}

#[test]
fn ceql_clauses() {
    let cases = [
        "created >= '2014-01-17'",
        "name='Edge Communications'",
        "name='Account Name' AND external_id='Electronics'",
        "updated>'2018-01-15T00:00:00.000Z' AND (name='Account Name' OR description='Apparel')",
        "name LIKE 'Acc%'",
        "name not like '%_x\\%%'",
        "device_seats >= 100000",
        "id in (123,456)",
        "id NOT IN ('7', 8)",
        "email IS NULL or email is not null",
        "NOT name = 'x'",
        "`name` = 'O''Brien'",
        "status = 'Suspended' and parent_id != 5",
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| format!("{c}\n  => {}", ceql_accounts(c)))
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn ceql_errors() {
    let cases = [
        "",
        "name",
        "name =",
        "name == 'x'",
        "nosuch = 'x'",
        "name = 'open",
        "id in ()",
        "id in (1,2",
        "name IS 'x'",
        "name NOT = 'x'",
        "device_seats LIKE '1%'",
        "created > 'soon'",
        "name = \"double\"",
        "`` = 'x'",
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|c| format!("{c}\n  => {}", ceql_accounts(c)))
        .collect();
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn fulltext_filters() {
    let limits = QueryLimits::DEFAULT;
    let out = [
        render(fulltext::parse("  Ann  ", ListResource::Users, &limits)),
        render(fulltext::parse("acme", ListResource::Accounts, &limits)),
        render(fulltext::parse("   ", ListResource::Users, &limits)),
        render(fulltext::parse(
            &"x".repeat(300),
            ListResource::Users,
            &limits,
        )),
    ];
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn limits_bound_length_depth_terms_and_lists() {
    let limits = QueryLimits::DEFAULT;
    let fields = native(ListResource::Users);
    let long = format!(r#"email eq "{}""#, "a".repeat(3000));
    assert!(scim_users(&long).contains("longer than 2048 bytes"));
    let deep = format!("{}email pr{}", "(".repeat(13), ")".repeat(13));
    assert!(scim_users(&deep).contains("nested deeper than 12"));
    let shallow = format!("{}email pr{}", "(".repeat(12), ")".repeat(12));
    assert!(scim_users(&shallow).starts_with("ok"));
    let many = vec!["id eq 1"; 65].join(" or ");
    assert!(scim_users(&many).contains("more than 64 comparisons"));
    let list = (0..101)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let accounts = native(ListResource::Accounts);
    let result = ceql::parse(&format!("id in ({list})"), &accounts, &limits);
    assert!(render(result).contains("more than 100 values"));
    let _ = fields;
}

/// Fields the property test draws from: one of each kind.
fn user_field(name: &str) -> &'static FieldSpec {
    ListResource::Users.field(name).unwrap()
}

fn literal_for(field: &'static FieldSpec) -> BoxedStrategy<Literal> {
    match field.kind {
        FieldKind::TextFolded => "[a-z0-9@._ \"\\\\é-]{0,12}".prop_map(Literal::Str).boxed(),
        FieldKind::Text => "[A-Za-z0-9@._ \"\\\\-]{0,12}"
            .prop_map(Literal::Str)
            .boxed(),
        FieldKind::Integer => any::<i64>().prop_map(Literal::Int).boxed(),
        FieldKind::Boolean => any::<bool>().prop_map(Literal::Bool).boxed(),
        FieldKind::Timestamp => (0_i64..4_000_000_000, 0_u32..1_000_000)
            .prop_map(|(secs, micros)| {
                let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
                    + time::Duration::microseconds(i64::from(micros));
                Literal::Str(
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap(),
                )
            })
            .boxed(),
        FieldKind::Enum(words) => proptest::sample::select(words)
            .prop_map(|w| Literal::Str(w.to_owned()))
            .boxed(),
    }
}

fn leaf() -> BoxedStrategy<Filter> {
    let fields = [
        "id",
        "email",
        "first_name",
        "role",
        "status",
        "email_verified",
        "created",
    ];
    proptest::sample::select(fields.to_vec())
        .prop_flat_map(|name| {
            let field = user_field(name);
            let ops = prop_oneof![
                Just(CmpOp::Eq),
                Just(CmpOp::Ne),
                Just(CmpOp::Lt),
                Just(CmpOp::Le),
                Just(CmpOp::Gt),
                Just(CmpOp::Ge)
            ];
            let cmp = (ops, literal_for(field))
                .prop_filter_map("operator not valid for the field", move |(op, lit)| {
                    Filter::cmp(field, op, lit).ok()
                });
            let present = Just(Filter::Present(field));
            if matches!(field.kind, FieldKind::Text | FieldKind::TextFolded) {
                let like = (0..3_u8, "[a-z0-9@. -]{1,8}").prop_map(move |(kind, s)| {
                    let pattern = match kind {
                        0 => LikePattern::contains(&s),
                        1 => LikePattern::starts_with(&s),
                        _ => LikePattern::ends_with(&s),
                    };
                    Filter::like(field, pattern).unwrap()
                });
                prop_oneof![4 => cmp, 1 => like, 1 => present].boxed()
            } else {
                prop_oneof![4 => cmp, 1 => present].boxed()
            }
        })
        .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #[test]
    fn printing_then_parsing_gives_the_same_filter(filter in filter()) {
        let printed = filter.to_string();
        let limits = QueryLimits { max_depth: 64, max_terms: 1000, ..QueryLimits::DEFAULT };
        let parsed = scim::parse(&printed, &native(ListResource::Users), &limits);
        prop_assert_eq!(parsed, Ok(filter), "printed as {}", printed);
    }

    #[test]
    fn no_input_makes_a_parser_panic(input in "\\PC{0,80}") {
        let limits = QueryLimits::DEFAULT;
        let _ = scim::parse(&input, &native(ListResource::Users), &limits);
        let _ = ceql::parse(&input, &native(ListResource::Accounts), &limits);
        let _ = fulltext::parse(&input, ListResource::Users, &limits);
    }
}

#[test]
fn an_empty_suffix_prints_as_scim() {
    // Found by fuzzing: `ew ""` matches any text and printed as SQL LIKE, which SCIM rejects.
    let limits = QueryLimits::DEFAULT;
    let filter = scim::parse(r#"name ew """#, &native(ListResource::Accounts), &limits).unwrap();
    assert_eq!(filter.to_string(), r#"name sw """#);
    assert_eq!(
        scim::parse(
            &filter.to_string(),
            &native(ListResource::Accounts),
            &limits
        ),
        Ok(filter)
    );
}
