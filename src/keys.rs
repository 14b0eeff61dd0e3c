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

/// Signs `message` with a PEM (PKCS#8) private key: RSASSA-PKCS1-v1_5 with SHA-256, as HTTP
/// signatures in the fediverse use.
pub fn sign(private_pem: &str, message: &[u8]) -> Result<Vec<u8>> {
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|e| Error::internal(format!("invalid private key: {e}")))?;
    let digest = sha2::Sha256::digest(message);
    key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest).map_err(|e| Error::internal(format!("signing failed: {e}")))
}
