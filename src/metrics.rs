//! Prometheus metrics: requests and their latency by route, jobs by kind and outcome (deliveries
//! among them), and, read from the database when scraped, the queue's depth and the servers
//! that fail. Counted per process; Prometheus adds the processes up.
//!
//! Served on a separate address (`metrics_bind`) or at `/metrics` behind a token
//! (`metrics_token`); neither set, there are no metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::context::AppContext;
use crate::db;
use crate::error::Result;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// How a job ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// The receiving server refused it for good (a 4xx other than 429): not retried.
    Refused,
    /// Failed; it will be tried again.
    Retry,
    /// Failed for the last time.
    GivenUp,
}

impl JobOutcome {
    fn label(self) -> &'static str {
        match self {
            JobOutcome::Done => "done",
            JobOutcome::Refused => "refused",
            JobOutcome::Retry => "retry",
            JobOutcome::GivenUp => "given_up",
        }
    }
}

/// This process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    jobs: Family<JobLabels, Counter>,
    waiting: Family<KindLabels, Gauge>,
    servers: Family<StateLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gilde");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by method, route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
        });
        registry.register("http_request_duration_seconds", "Time to answer HTTP requests, by method and route", latency.clone());
        let jobs = Family::<JobLabels, Counter>::default();
        registry.register(
            "jobs",
            "Jobs run by this process, by kind (deliver: a delivery to another server) and outcome (done, refused, retry, given_up)",
            jobs.clone(),
        );
        let waiting = Family::<KindLabels, Gauge>::default();
        registry.register("jobs_waiting", "Jobs not done yet, by kind (the queue's depth; all processes)", waiting.clone());
        let servers = Family::<StateLabels, Gauge>::default();
        registry.register("servers", "Other servers whose deliveries fail, by state (failing, dead)", servers.clone());
        Metrics { registry, requests, latency, jobs, waiting, servers }
    }
}

impl Metrics {
    pub fn job_finished(&self, kind: &str, outcome: JobOutcome) {
        self.jobs.get_or_create(&JobLabels { kind: kind.to_string(), outcome: outcome.label().to_string() }).inc();
    }

    fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
    }
}

/// Counts every request under its route's pattern (`/api/v1/statuses/{id}`, never the address
/// itself, so the number of series stays bounded).
pub async fn count_requests(State(ctx): State<AppContext>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let response = next.run(request).await;
    ctx.metrics.request(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// The metrics in Prometheus's text format, with the queue and the servers read now.
pub async fn render(ctx: &AppContext) -> Result<String> {
    let (waiting, servers) =
        ctx.db.read(|conn| -> Result<_> { Ok((db::jobs::waiting_by_kind(conn)?, db::servers::failing_counts(conn)?)) }).await?;
    let metrics: &Arc<Metrics> = &ctx.metrics;
    metrics.waiting.clear();
    for (kind, n) in waiting {
        metrics.waiting.get_or_create(&KindLabels { kind }).set(n);
    }
    let (failing, dead) = servers;
    metrics.servers.get_or_create(&StateLabels { state: "failing".into() }).set(failing);
    metrics.servers.get_or_create(&StateLabels { state: "dead".into() }).set(dead);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry).map_err(crate::error::Error::internal)?;
    Ok(text)
}

/// The metrics as a response in the OpenMetrics text format.
async fn exposition(ctx: &AppContext) -> Response {
    match render(ctx).await {
        Ok(text) => ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response(),
        Err(e) => crate::http::error::ApiError(e).into_response(),
    }
}

/// `/metrics` on the public address: only with `metrics_token`, sent as a bearer token.
pub async fn behind_token(State(ctx): State<AppContext>, headers: HeaderMap) -> Response {
    let Some(expected) = ctx.config.metrics_token.as_deref() else {
        return crate::http::error::ApiError(crate::error::Error::not_found("not_found", "There is nothing at this address."))
            .into_response();
    };
    let sent = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    if !crate::service::oauth::same(sent, expected) {
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", "Bearer")], "The metrics need the token set in metrics_token.\n")
            .into_response();
    }
    exposition(&ctx).await
}

/// The separate metrics address (`metrics_bind`): `/metrics` only, no token (keep it internal).
pub fn router(ctx: AppContext) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(|State(ctx): State<AppContext>| async move { exposition(&ctx).await }))
        .with_state(ctx)
}
