//! What `/metrics` shows, in Prometheus' text format: requests per route template,
//! their latency, the spreadsheet reader's outcomes, the outbox's backlog and the
//! database pool. One registry per process, as Prometheus scrapes each instance; the
//! counters are atomics, cheap on every request. A leaf module: any layer may count.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    reader: IntCounterVec,
    outbox: IntGaugeVec,
    pool: IntGaugeVec,
}

/// Seconds: from a cached page (under a millisecond) to an upload read in its own
/// process (seconds) and the 30 s request limit.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry =
        Registry::new_custom(Some("tilskudd".into()), None).expect("a valid metric prefix");
    let requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests answered, by route template and status.",
        ),
        &["method", "route", "status"],
    )
    .expect("valid counter");
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to its headers), by route template.",
        )
        .buckets(LATENCY_BUCKETS.to_vec()),
        &["method", "route"],
    )
    .expect("valid histogram");
    let reader = IntCounterVec::new(
        Opts::new(
            "upload_reads_total",
            "Uploaded files read, by format and outcome (read, refused, crashed, timeout, unavailable).",
        ),
        &["format", "outcome"],
    )
    .expect("valid counter");
    let outbox = IntGaugeVec::new(
        Opts::new(
            "outbox_messages",
            "E-mail in the outbox, by state (due or waiting: backlog).",
        ),
        &["state"],
    )
    .expect("valid gauge");
    let pool = IntGaugeVec::new(
        Opts::new(
            "db_pool_connections",
            "Database connections of this instance: open, idle and the maximum.",
        ),
        &["state"],
    )
    .expect("valid gauge");
    for collector in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(latency.clone()),
        Box::new(reader.clone()),
        Box::new(outbox.clone()),
        Box::new(pool.clone()),
    ] {
        registry
            .register(collector)
            .expect("each metric registered once");
    }
    Metrics {
        registry,
        requests,
        latency,
        reader,
        outbox,
        pool,
    }
});

/// Counts one answered request under its route template (`/rounds/{id}`, never the
/// path itself, so the number of series stays bounded).
pub fn request_answered(method: &str, route: &str, status: u16, elapsed: Duration) {
    let m = &*METRICS;
    m.requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    m.latency
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}

/// How reading an uploaded file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Read into a workbook (its content may still have errors).
    Read,
    /// The reader said why it could not read the file (not a spreadsheet, encrypted, …).
    Refused,
    /// The reader process died (memory or CPU limit, or a crash).
    Crashed,
    /// The reader took longer than allowed and was stopped.
    Timeout,
    /// No reader could be started.
    Unavailable,
}

impl ReadOutcome {
    fn as_str(self) -> &'static str {
        match self {
            ReadOutcome::Read => "read",
            ReadOutcome::Refused => "refused",
            ReadOutcome::Crashed => "crashed",
            ReadOutcome::Timeout => "timeout",
            ReadOutcome::Unavailable => "unavailable",
        }
    }
}

pub fn upload_read(format: &str, outcome: ReadOutcome) {
    METRICS
        .reader
        .with_label_values(&[format, outcome.as_str()])
        .inc();
}

/// What is measured when scraped rather than counted as it happens.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub outbox_backlog: Option<i64>,
    pub outbox_failed: Option<i64>,
    pub pool_open: i64,
    pub pool_idle: i64,
    pub pool_max: i64,
}

/// The registry in Prometheus' text format (version 0.0.4), with `gauges` as of now.
pub fn render(gauges: &Gauges) -> String {
    let m = &*METRICS;
    for (state, value) in [
        ("backlog", gauges.outbox_backlog),
        ("failed", gauges.outbox_failed),
    ] {
        if let Some(value) = value {
            m.outbox.with_label_values(&[state]).set(value);
        }
    }
    for (state, value) in [
        ("open", gauges.pool_open),
        ("idle", gauges.pool_idle),
        ("max", gauges.pool_max),
    ] {
        m.pool.with_label_values(&[state]).set(value);
    }
    let mut text = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut text) {
        tracing::error!(error = %e, "metrics could not be encoded");
    }
    String::from_utf8(text).unwrap_or_default()
}

/// The content type Prometheus expects of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
