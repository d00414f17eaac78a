//! ControlByWeb certificate request tokens: 32 letters and digits, derived from a stored nonce
//! (see [`super::derived`]: the vendor API lists live tokens again after creating them).

use super::derived;
use super::secret::TokenHash;

/// Length of a token, as the vendor documents it.
pub const LEN: usize = 32;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DOMAIN: &[u8] = b"tenantry certificate request token v1:";

pub use derived::new_nonce;

/// The token a nonce stands for under the installation's signing key.
pub fn derive(signing_key: &[u8; 32], nonce: &[u8; 16]) -> String {
    // 32 uniform bytes, each reduced mod 62: about 190 bits of the HMAC survive, far beyond
    // guessing, at the cost of a slight bias toward the first 8 letters.
    derived::material(signing_key, DOMAIN, nonce)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Whether a presented string has the shape of a token (so anything else is refused before a
/// lookup).
pub fn is_well_formed(presented: &str) -> bool {
    presented.len() == LEN && presented.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn hash(token: &str) -> TokenHash {
    TokenHash::of(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_alphanumerics_fixed_by_key_and_nonce() {
        let key = [7u8; 32];
        let nonce = [1u8; 16];
        let token = derive(&key, &nonce);
        assert!(is_well_formed(&token), "{token}");
        assert_eq!(token, derive(&key, &nonce));
        assert_ne!(token, derive(&key, &[2u8; 16]));
        assert_ne!(token, derive(&[8u8; 32], &nonce));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(&"a".repeat(31)));
        assert!(!is_well_formed(&"a".repeat(33)));
        assert!(!is_well_formed(&format!("{}-", "a".repeat(31))));
        assert!(!is_well_formed(&format!("{}é", "a".repeat(30))));
    }
}
