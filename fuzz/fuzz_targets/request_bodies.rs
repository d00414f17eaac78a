//! The native API's request bodies: any bytes decode to a body or a clean error, never a panic,
//! however deep or large the JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_http::native::{accounts, auth, devices, invitations, onboarding, users};

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) {
    let _ = serde_json::from_slice::<T>(bytes);
}

fuzz_target!(|bytes: &[u8]| {
    decode::<auth::LoginBody>(bytes);
    decode::<auth::RefreshBody>(bytes);
    decode::<auth::ChangePasswordBody>(bytes);
    decode::<accounts::CreateAccountBody>(bytes);
    decode::<accounts::UpdateAccountBody>(bytes);
    decode::<accounts::MoveSeatsBody>(bytes);
    decode::<users::CreateUserBody>(bytes);
    decode::<users::UpdateUserBody>(bytes);
    decode::<devices::CreateDeviceBody>(bytes);
    decode::<devices::UpdateDeviceBody>(bytes);
    decode::<invitations::InviteBody>(bytes);
    decode::<invitations::TokenPasswordBody>(bytes);
    decode::<onboarding::SignUpBody>(bytes);
    decode::<serde_json::Value>(bytes);
});
