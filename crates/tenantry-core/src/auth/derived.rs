//! Secrets that a vendor API shows again after creating them (ControlByWeb's certificate
//! request tokens, Cloud Elements' user and organization secrets), so they cannot be shown
//! once and forgotten. They are not stored either: a row keeps a random nonce and the SHA-256 of
//! the secret, and the secret is recomputed as HMAC(installation signing key, domain ‖ nonce)
//! when it must be shown. Presenting one is checked by its hash, in constant time, like every
//! other secret. Those rows alone reveal nothing; with the signing key they reveal everything,
//! so an installation that keeps its key out of the database (`--signing-key-file`) keeps a
//! copy of the database from revealing these secrets; by default the key is in the database.

use super::secret::hmac_sha256;

/// A fresh nonce for a new secret (or a rotation).
pub fn new_nonce() -> [u8; 16] {
    rand::random()
}

/// The 32 bytes a nonce stands for under the installation's signing key, in one `domain` (so
/// one nonce can never give the same bytes to two kinds of secret).
pub fn material(signing_key: &[u8; 32], domain: &[u8], nonce: &[u8; 16]) -> [u8; 32] {
    let mut input = Vec::with_capacity(domain.len() + nonce.len());
    input.extend_from_slice(domain);
    input.extend_from_slice(nonce);
    hmac_sha256(signing_key, &input)
}
