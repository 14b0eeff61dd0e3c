//! What every part of a running instance shares, passed explicitly (no global statics).

use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppContext {
    pub config: Arc<Config>,
    pub db: Db,
    /// Instance statistics, counted at most once a minute (clients ask for them often).
    pub(crate) stats: Arc<tokio::sync::Mutex<Option<(std::time::Instant, crate::service::instance::Stats)>>>,
    /// Limits on attempts (sign-in), per process.
    pub limits: Arc<Limits>,
    /// Wakes this process's job workers when a change recorded work for them.
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// Other servers' public keys, for verifying signed GETs.
    pub signing_keys: crate::federation::signatures::KeyCache,
    /// Servers whose NodeInfo could not be read, and when: not asked again for an hour.
    pub(crate) unknown_software: Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>>,
    /// Servers that sent a signed activity lately with nothing failing recorded, and what they
    /// run where known: their state is not read again for every activity they send (see
    /// `service::actors::server_answered`).
    pub(crate) servers_up: Arc<std::sync::Mutex<ServersSeenUp>>,
    /// Where uploaded files are kept.
    pub storage: crate::media::storage::Storage,
    /// Images decoded at once (each may take a few hundred megabytes at the pixel limit).
    pub(crate) media_slots: Arc<tokio::sync::Semaphore>,
    /// The organisation's single sign-on provider, when configured.
    pub sso: Option<Arc<crate::service::sso::Provider>>,
    /// The jobs this process has claimed and not finished (released when it stops).
    pub(crate) jobs_held: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// Set when the process stops: job workers start no new job.
    pub(crate) stopping: Arc<std::sync::atomic::AtomicBool>,
    /// The HTTP client deliveries are sent with (set when federation is set up).
    pub(crate) delivery_client: Arc<std::sync::OnceLock<reqwest_middleware::ClientWithMiddleware>>,
    /// This process's Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Per server: when it was last seen up, and what it runs where known.
pub(crate) type ServersSeenUp = std::collections::HashMap<String, (std::time::Instant, Option<String>)>;

/// Rate limits on attempts that could be used to guess passwords, and on writes.
pub struct Limits {
    /// Writes per signed-in session or token, else per client address
    /// (`write_rate_per_minute`, with as large a burst).
    pub writes: governor::DefaultKeyedRateLimiter<String>,
    /// Sign-in attempts per account name: a burst of 10, then 1 every 30 seconds.
    pub sign_in_by_name: governor::DefaultKeyedRateLimiter<String>,
    /// Sign-in attempts per client address: a burst of 30, then 1 every 5 seconds.
    pub sign_in_by_address: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        use governor::{Quota, RateLimiter};
        use std::num::NonZeroU32;
        use std::time::Duration;
        let quota = |every: u64, burst: u32| {
            Quota::with_period(Duration::from_secs(every)).map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)))
        };
        let writes = NonZeroU32::new(config.write_rate_per_minute).unwrap_or(NonZeroU32::MIN);
        Limits {
            writes: RateLimiter::keyed(Quota::per_minute(writes)),
            sign_in_by_name: RateLimiter::keyed(quota(30, 10).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))),
            sign_in_by_address: RateLimiter::keyed(quota(5, 30).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))),
        }
    }
}

impl AppContext {
    pub fn new(config: Config, db: Db) -> Self {
        AppContext {
            storage: match &config.media_s3 {
                None => crate::media::storage::Storage::local(config.data_dir.join("media")),
                // The settings were checked when the configuration was read.
                Some(s3) => crate::media::storage::Storage::s3(s3).unwrap_or_else(|e| panic!("{e}")),
            },
            media_slots: Arc::new(tokio::sync::Semaphore::new(2)),
            metrics: Arc::default(),
            delivery_client: Arc::default(),
            jobs_held: Arc::default(),
            stopping: Arc::default(),
            sso: config.sso.clone().map(|settings| {
                crate::service::sso::Provider::new(settings).unwrap_or_else(|e| panic!("the single sign-on client cannot start: {e}"))
            }),
            limits: Arc::new(Limits::new(&config)),
            config: Arc::new(config),
            db,
            stats: Arc::default(),
            jobs_wake: Arc::default(),
            signing_keys: Default::default(),
            unknown_software: Arc::default(),
            servers_up: Arc::default(),
        }
    }
}
