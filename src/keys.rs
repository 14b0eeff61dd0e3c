//! Actor keys (RSA-2048, PEM). Generation and, later, signing go through this module only, so
//! the cryptography library can be swapped in one place.

use crate::error::{Error, Result};

pub struct Keypair {
    pub public_pem: String,
    pub private_pem: String,
}

/// Generates a new keypair (tens of milliseconds: call it on a blocking thread).
pub fn generate() -> Result<Keypair> {
    let pair = activitypub_federation::http_signatures::generate_actor_keypair().map_err(|e| Error::internal(e.to_string()))?;
    Ok(Keypair { public_pem: pair.public_key, private_pem: pair.private_key })
}
