//! Documents the error answers every operation can give, whatever its handler: a malformed
//! request (400), a missing or bad credential (401), an oversized (413) or non-JSON (415) body,
//! invalid fields or parameters (422), a rate limit (429) and an unreachable database (503).
//! Generated clients and contract testers (schemathesis) then know every status they may see.

use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

pub struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let rate_limited = !crate::health::PROBES.contains(&path.as_str());
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_shared(operation, rate_limited);
            }
        }
    }
}

fn add_shared(operation: &mut Operation, rate_limited: bool) {
    let has_body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let shared = [
        (
            "400",
            true,
            "Malformed request: bad path or query parameter, or unreadable body",
        ),
        ("401", secured, "Missing, invalid or expired credential"),
        ("413", has_body, "Body over the size limit (64 KiB)"),
        ("415", has_body, "Body is not `application/json`"),
        ("422", true, "Invalid field or parameter, named in `fields`"),
        (
            "429",
            rate_limited,
            "Too many requests; retry after `Retry-After` seconds",
        ),
        (
            "503",
            true,
            "The database is unreachable; retry after `Retry-After` seconds",
        ),
    ];
    for (status, applies, description) in shared {
        if !applies || operation.responses.responses.contains_key(status) {
            continue;
        }
        let content = ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
            .build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build();
        operation
            .responses
            .responses
            .insert(status.to_owned(), RefOr::T(response));
    }
}
