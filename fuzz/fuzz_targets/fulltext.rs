//! Ioto's full-text `filter` strings: no input panics, whatever its length or characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_core::query::{ListResource, QueryLimits, fulltext};

fuzz_target!(|input: &str| {
    for resource in [
        ListResource::Users,
        ListResource::Accounts,
        ListResource::Devices,
    ] {
        let _ = fulltext::parse(input, resource, &QueryLimits::DEFAULT);
    }
});
