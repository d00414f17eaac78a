//! SCIM filters: no input panics, and whatever parses prints to a filter that parses back to
//! the same tree (the printed form is what cursors and logs carry).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_core::query::{ListResource, QueryLimits, scim};

fuzz_target!(|input: &str| {
    let limits = QueryLimits::DEFAULT;
    for resource in [
        ListResource::Users,
        ListResource::Accounts,
        ListResource::Devices,
        ListResource::Audit,
    ] {
        if let Ok(filter) = scim::parse(input, &resource, &limits) {
            let printed = filter.to_string();
            let generous = QueryLimits {
                max_depth: 1000,
                max_terms: 100_000,
                max_length: usize::MAX,
                ..limits
            };
            match scim::parse(&printed, &resource, &generous) {
                Ok(again) => assert_eq!(again, filter, "{input:?} printed as {printed:?}"),
                // Everything SCIM parses, SCIM can print.
                Err(error) => panic!("{input:?} printed as {printed:?}, which fails: {error}"),
            }
        }
    }
});
