//! Cloud Elements' CEQL `where` clauses: no input panics, and what parses prints as a SCIM
//! filter that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_core::query::{ListResource, QueryLimits, ceql, scim};

fuzz_target!(|input: &str| {
    let limits = QueryLimits::DEFAULT;
    for resource in [ListResource::Accounts, ListResource::Users] {
        if let Ok(filter) = ceql::parse(input, &resource, &limits) {
            let printed = filter.to_string();
            let generous = QueryLimits {
                max_depth: 1000,
                max_terms: 100_000,
                max_length: usize::MAX,
                ..limits
            };
            match scim::parse(&printed, &resource, &generous) {
                Ok(again) => assert_eq!(again, filter, "{input:?} printed as {printed:?}"),
                // What SCIM cannot say (CEQL's `in` lists, `like` patterns with `_` or no `%`)
                // prints in a readable form of its own; anything else must parse back.
                Err(_) => assert!(
                    printed.contains(" like \"") || printed.contains(" in ("),
                    "{input:?} printed as {printed:?}"
                ),
            }
        }
    }
});
