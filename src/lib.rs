//! Gilde: a server for groups that cross organisations.
//!
//! One core (`service`) behind three front doors: ActivityPub, a Mastodon-compatible client API
//! and a web UI. See `docs/architecture.md`.

pub mod config;
pub mod context;
pub mod db;
pub mod error;
pub mod federation;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod media;
pub mod metrics;
pub mod service;
#[doc(hidden)]
pub mod testing;
pub mod urls;
pub mod web;

use std::net::SocketAddr;

pub use config::Config;
pub use context::AppContext;
pub use error::{Error, ErrorKind, Result};

/// A running instance: its context, its address, and a way to stop it.
pub struct RunningInstance {
    pub ctx: AppContext,
    pub addr: SocketAddr,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: tokio::task::JoinHandle<()>,
}

impl RunningInstance {
    /// Stops accepting requests and waits for those in flight.
    pub async fn stop(self) -> std::io::Result<()> {
        self.ctx.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.shutdown.send(true);
        self.server.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Runs until the server ends (it ends only by `stop` or an error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.server.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    pub fn shutdown_handle(&self) -> tokio::sync::watch::Sender<bool> {
        self.shutdown.clone()
    }

    /// Ends when the server stops by itself (an error); it runs until stopped otherwise.
    pub async fn ended(&mut self) -> std::io::Result<()> {
        (&mut self.server).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Stops gracefully: no new connections and no new jobs; requests and jobs in flight get
    /// `grace` to finish. Then the jobs this process claimed and did not finish are released,
    /// so another process (or the next start) runs them at once. Returns whether everything
    /// finished in time.
    pub async fn stop_within(self, grace: std::time::Duration) -> bool {
        self.ctx.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.shutdown.send(true);
        let (server, worker) = (self.server, self.worker);
        let finished = tokio::time::timeout(grace, async move {
            let _ = server.await;
            let _ = worker.await;
        })
        .await
        .is_ok();
        match jobs::release_held(&self.ctx).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "released the jobs this process had claimed, for others to run"),
            Err(e) => tracing::warn!(error = ?e, "could not release this process's job claims; they expire by themselves"),
        }
        finished
    }
}

/// Connects to the database (applying migrations), then serves on `listener`. Returns once the
/// instance accepts requests. Several instances may run in one process (tests do).
pub async fn start(config: Config, listener: tokio::net::TcpListener) -> Result<RunningInstance> {
    let database = config.database.clone();
    let pool_size = config.db_pool_size;
    let db =
        tokio::task::spawn_blocking(move || db::Db::connect(&database, pool_size)).await.map_err(|e| Error::internal(e.to_string()))??;
    let ctx = AppContext::new(config, db);
    serve(ctx, listener).await
}

/// Serves an existing context on `listener`.
pub async fn serve(ctx: AppContext, listener: tokio::net::TcpListener) -> Result<RunningInstance> {
    let addr = listener.local_addr().map_err(Error::internal)?;
    if ctx.config.federation.insecure {
        tracing::warn!(
            "INSECURE FEDERATION MODE (GILDE_INSECURE_FEDERATION=true): plain http, loopback and private addresses are allowed. \
             Use this only for tests and trials on one machine, never for a real instance."
        );
    }
    // Trailing slashes are trimmed before routing: Mastodon accepts `/api/v1/instance/` too, and
    // clients rely on it.
    let federation = federation::setup::build(&ctx).await?;
    if ctx.db.backend() == db::Backend::Sqlite {
        // One process per SQLite database: claims of a previous run (killed, even with -9)
        // are released at once, so its unfinished work resumes now. With PostgreSQL several
        // processes share the queue, and a dead process's claims expire after two minutes.
        let released = ctx.db.write(|conn| -> Result<_> { Ok(db::jobs::release_claims(conn)?) }).await?;
        if released > 0 {
            tracing::info!(jobs = released, "resuming work a previous run had started");
        }
    }
    service::instance::load_federation_lists(&ctx).await?;
    let (shutdown, mut stop) = tokio::sync::watch::channel(false);
    let worker = jobs::spawn(federation.clone(), stop.clone());
    {
        // Other processes on the same database may change the admins' federation lists.
        let (ctx, mut stop) = (ctx.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                if let Err(e) = service::instance::load_federation_lists(&ctx).await {
                    tracing::warn!(error = %e, "could not reload the federation lists");
                }
            }
        });
    }
    if let Some(bind) = ctx.config.metrics_bind {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| Error::internal(format!("cannot listen for metrics on {bind} (metrics_bind): {e}")))?;
        let (router, mut stop) = (metrics::router(ctx.clone()), stop.clone());
        tracing::info!(%bind, "Prometheus metrics at /metrics");
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(stopped).await {
                tracing::warn!(error = %e, "the metrics address stopped");
            }
        });
    }
    let app =
        tower::Layer::layer(&tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(), http::router(ctx.clone(), federation));
    let server = tokio::spawn(async move {
        axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(app))
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(RunningInstance { ctx, addr, shutdown, server, worker })
}
