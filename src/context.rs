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
}

impl AppContext {
    pub fn new(config: Config, db: Db) -> Self {
        AppContext { config: Arc::new(config), db, stats: Arc::default() }
    }
}
