//! Any bytes, as the body of any client-API route: decoded and checked as
//! the handler would, with no panic and bounded recursion.
#![no_main]

use libfuzzer_sys::fuzz_target;
use upsignon_api::client_api::decode::{ROUTES, decode};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let route = ROUTES[usize::from(pick) % ROUTES.len()];
    let _ = decode(route, body);
});
