//! Actor keys (RSA-2048, PEM: PKCS#8 private keys, SubjectPublicKeyInfo public keys) and the
//! signatures HTTP signatures in the fediverse use (RSASSA-PKCS1-v1_5 with SHA-256). Everything
//! cryptographic goes through this module, on aws-lc-rs (native code, already in the tree through
//! rustls): generation, signing deliveries and fetches, and verifying what arrives (record 0015).
//!
//! Parsed keys are kept (a key is parsed once, then used for thousands of signatures): a
//! process-wide memo keyed by the PEM text, bounded, as parsing is a pure function of it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

pub struct Keypair {
    pub public_pem: String,
    pub private_pem: String,
}

/// How many parsed keys of each kind are kept; past that the memo starts again.
const KEPT_KEYS: usize = 4096;

static SIGNING_KEYS: LazyLock<Mutex<HashMap<String, Arc<KeyPair>>>> = LazyLock::new(Mutex::default);
static VERIFYING_KEYS: LazyLock<Mutex<HashMap<String, Arc<ParsedPublicKey>>>> = LazyLock::new(Mutex::default);

fn kept<T>(memo: &Mutex<HashMap<String, Arc<T>>>, pem: &str, parse: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
    if let Some(found) = memo.lock().ok().and_then(|m| m.get(pem).cloned()) {
        return Some(found);
    }
    let parsed = Arc::new(parse()?);
    if let Ok(mut m) = memo.lock() {
        if m.len() >= KEPT_KEYS {
            m.clear();
        }
        m.insert(pem.to_string(), parsed.clone());
    }
    Some(parsed)
}

/// The DER inside a PEM block (any label).
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
    STANDARD.decode(body).ok()
}

fn pem(label: &str, der: &[u8]) -> String {
    let text = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Generates a new keypair (a few milliseconds to tens: call it on a blocking thread).
pub fn generate() -> Result<Keypair> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| Error::internal("RSA key generation failed"))?;
    let private: Pkcs8V1Der = pair.as_der().map_err(|_| Error::internal("cannot encode the private key"))?;
    let public: PublicKeyX509Der = pair.public_key().as_der().map_err(|_| Error::internal("cannot encode the public key"))?;
    Ok(Keypair { public_pem: pem("PUBLIC KEY", public.as_ref()), private_pem: pem("PRIVATE KEY", private.as_ref()) })
}

fn signing_key(private_pem: &str) -> Result<Arc<KeyPair>> {
    kept(&SIGNING_KEYS, private_pem, || {
        let der = pem_der(private_pem)?;
        // PKCS#8 (`PRIVATE KEY`), or the older PKCS#1 (`RSA PRIVATE KEY`).
        KeyPair::from_pkcs8(&der).or_else(|_| KeyPair::from_der(&der)).ok()
    })
    .ok_or_else(|| Error::internal("invalid private key"))
}

/// Signs `message` with a PEM private key: RSASSA-PKCS1-v1_5 with SHA-256.
pub fn sign(private_pem: &str, message: &[u8]) -> Result<Vec<u8>> {
    let key = signing_key(private_pem)?;
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut signature)
        .map_err(|_| Error::internal("signing failed"))?;
    Ok(signature)
}

/// A signature asked of the background signers, and where its answer goes.
struct SigningJob {
    private_pem: String,
    message: Vec<u8>,
    answer: tokio::sync::oneshot::Sender<Result<Vec<u8>>>,
}

/// How much lower than the rest of the process the background signers run (the nice value
/// `thread_priority` maps 22 of 0..=99 to: 10, about a tenth of a core's share when the cores
/// are busy, all of it when they are not).
const SIGNER_PRIORITY: u8 = 22;

/// Threads that sign outgoing deliveries, one per core, at a lower OS priority than the
/// threads that answer requests: a fan-out uses every core that is free, and a burst of
/// incoming activities (or people reading) is served first. An RSA signature costs about a
/// millisecond of a core, far more than anything else a delivery does.
static SIGNERS: LazyLock<Option<std::sync::mpsc::Sender<SigningJob>>> = LazyLock::new(|| {
    let (jobs, queue) = std::sync::mpsc::channel::<SigningJob>();
    let queue = Arc::new(Mutex::new(queue));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let mut started = 0;
    for n in 0..threads {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new().name(format!("gilde-signer-{n}")).spawn(move || {
            let lower = thread_priority::ThreadPriorityValue::try_from(SIGNER_PRIORITY).map_err(|e| e.to_string()).and_then(|value| {
                thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Crossplatform(value))
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = lower {
                tracing::debug!(error = e, "the signing threads run at normal priority");
            }
            loop {
                let next = match queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                let Ok(job) = next else { return };
                let _ = job.answer.send(sign(&job.private_pem, &job.message));
            }
        });
        started += usize::from(spawned.is_ok());
    }
    (started > 0).then_some(jobs)
});

/// `sign`, on the background signers (for deliveries): the caller's thread is free meanwhile.
pub async fn sign_in_background(private_pem: &str, message: Vec<u8>) -> Result<Vec<u8>> {
    let Some(signers) = SIGNERS.as_ref() else { return sign(private_pem, &message) };
    let (answer, answered) = tokio::sync::oneshot::channel();
    signers
        .send(SigningJob { private_pem: private_pem.to_string(), message, answer })
        .map_err(|_| Error::internal("the signing threads stopped"))?;
    answered.await.map_err(|_| Error::internal("the signing threads stopped"))?
}

/// Does `signature` over `message` verify with this PEM public key (SubjectPublicKeyInfo or
/// PKCS#1; 1024 to 8192 bits, as older servers still have 1024-bit keys)?
pub fn verify(public_pem: &str, message: &[u8], signature: &[u8]) -> bool {
    let key = kept(&VERIFYING_KEYS, public_pem, || {
        ParsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, pem_der(public_pem)?).ok()
    });
    key.is_some_and(|key| key.verify_sig(message, signature).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_their_key_only() {
        let pair = generate().expect("keys");
        assert!(pair.private_pem.starts_with("-----BEGIN PRIVATE KEY-----") && pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let signature = sign(&pair.private_pem, b"(request-target): post /inbox").expect("sign");
        assert_eq!(signature.len(), 256, "RSA-2048");
        assert!(verify(&pair.public_pem, b"(request-target): post /inbox", &signature));
        assert!(!verify(&pair.public_pem, b"(request-target): post /other", &signature), "another message");
        let other = generate().expect("keys");
        assert!(!verify(&other.public_pem, b"(request-target): post /inbox", &signature), "another key");
        assert!(!verify("not a key", b"x", &signature));
        assert!(sign("not a key", b"x").is_err());
    }

    /// Deliveries are signed on their own threads, which run at a lower priority than the rest
    /// (Linux: nice 10), and what they sign verifies.
    #[tokio::test]
    async fn background_signers_sign_at_a_lower_priority() {
        let pair = generate().expect("keys");
        let signature = sign_in_background(&pair.private_pem, b"(request-target): post /inbox".to_vec()).await.expect("sign");
        assert!(verify(&pair.public_pem, b"(request-target): post /inbox", &signature));
        assert!(sign_in_background("not a key", b"x".to_vec()).await.is_err(), "a bad key is an error, not a stopped signer");
        if cfg!(target_os = "linux") {
            let signers: Vec<i64> = std::fs::read_dir("/proc/self/task")
                .expect("threads")
                .filter_map(|task| {
                    let path = task.ok()?.path();
                    let name = std::fs::read_to_string(path.join("comm")).ok()?;
                    let stat = std::fs::read_to_string(path.join("stat")).ok()?;
                    // The nice value: the 19th field, the 17th after the name's closing parenthesis.
                    let after_name = &stat[stat.rfind(')')? + 2..];
                    name.starts_with("gilde-signer").then(|| after_name.split(' ').nth(16)?.parse().ok()).flatten()
                })
                .collect();
            assert!(!signers.is_empty(), "the signing threads run");
            assert!(signers.iter().all(|nice| *nice == 10), "at nice 10: {signers:?}");
        }
    }

    /// Keys made before (by the federation library, with the `rsa` crate) keep working, and
    /// what is signed here verifies as other implementations check it.
    #[test]
    fn keys_of_the_earlier_format_and_other_implementations_agree() {
        use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
        use sha2::Digest;
        let old = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
        let message = b"host: gemeente-a.nl\ndate: Wed, 02 Dec 2026 13:00:00 GMT";
        let signature = sign(&old.private_key, message).expect("sign with an old key");
        let public = rsa::RsaPublicKey::from_public_key_pem(&old.public_key).expect("public key");
        let digest = sha2::Sha256::digest(message);
        assert!(public.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &signature).is_ok(), "the rsa crate agrees");
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&old.private_key).expect("private key");
        let theirs = private.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest).expect("sign");
        assert!(verify(&old.public_key, message, &theirs), "a signature made elsewhere verifies here");
        // A key made here is read by the rsa crate too (the same PEM formats).
        let new = generate().expect("keys");
        assert!(
            rsa::RsaPrivateKey::from_pkcs8_pem(&new.private_pem).is_ok() && rsa::RsaPublicKey::from_public_key_pem(&new.public_pem).is_ok()
        );
    }
}
