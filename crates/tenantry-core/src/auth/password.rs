//! argon2id password hashing.
//!
//! One hash costs ~50 ms of CPU and ~19 MiB of memory at the OWASP parameters, so hashing runs on
//! tokio's blocking pool behind a semaphore sized to the cores: a burst of logins queues instead
//! of starving the async workers or exhausting memory.
//!
//! A login for an unknown email verifies against a dummy hash made with the same parameters, so
//! it costs the same time as a wrong password for a real user.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::values::Password;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's recommendation for argon2id: m=19 MiB, t=2, p=1.
    pub const OWASP: HashParams = HashParams {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest parameters argon2 accepts; for tests only, where thousands of hashes run.
    pub const INSECURE_FAST_FOR_TESTS: HashParams = HashParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::internal(format!("invalid argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// `concurrency` bounds how many hashes run at once (use the number of cores).
    pub fn new(params: HashParams, concurrency: usize) -> Result<Self> {
        let argon2 = params.argon2()?;
        let dummy_hash = hash_blocking(&argon2, "tenantry dummy password for unknown users")?;
        Ok(Self {
            argon2,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: &Password) -> Result<String> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        self.run(move || hash_blocking(&argon2, password.expose()))
            .await
    }

    /// Verifies `password` against `stored`; with no stored hash (unknown user, or no password
    /// set) it verifies against the dummy hash and answers false, taking the same time.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<bool> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = self
            .run(move || {
                Ok(argon2
                    .verify_password(password.expose().as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(real && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::internal("password hasher closed"))?;
        // The permit travels into the blocking task: if the request is dropped (client gone,
        // timeout), the hash still holds its slot until it really finishes, so a flood of
        // abandoned logins cannot run more hashes at once than there are permits.
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| Error::internal(format!("password hashing task failed: {e}")))?
    }
}

fn hash_blocking(argon2: &Argon2<'static>, password: &str) -> Result<String> {
    argon2
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 2).unwrap();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        let wrong = Password::candidate("wrong horse").unwrap();
        assert!(!hasher.verify(&wrong, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
        assert!(
            !hasher
                .verify(&password, Some("not a phc string"))
                .await
                .unwrap()
        );
        let again = hasher.hash(&password).await.unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }
}
