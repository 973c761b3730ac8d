//! Limits that keep one client from taking the server down: request bodies, request time,
//! concurrent expensive computations, query size; the security headers and the CORS
//! policy; and the JSON shape of every error, including those axum and tower answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::StreamExt;

use crate::error::ApiError;
use crate::state::AppState;

/// What the server allows one request, and how many expensive computations run at once.
/// Set with `hexwatch serve --max-body-mib --request-timeout-s --max-expensive
/// --expensive-queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `POST /api/incidents` body, bytes. Default 16 MiB (about 60,000 incidents as
    /// JSON); larger bodies get a 413 before they are read.
    pub max_body_bytes: usize,
    /// How long a request may take, body included: past it the client gets a 503 (the
    /// work, already started, finishes and is cached). Default 60 s, room for the slowest
    /// route (the evaluation backtest) on a loaded 2-core machine. `POST /api/incidents`
    /// is bounded only while its body arrives: its ingest, once begun, is committed or not
    /// as a whole and its reply says which, so it is not cut short.
    pub request_timeout: Duration,
    /// Expensive computations (density surfaces and tiles, statistics tiles and hotspot
    /// statistics, patrol plans, the evaluation backtest) run at once. Default: the
    /// machine's cores, at least 2.
    pub max_expensive: usize,
    /// Expensive requests that may wait for a free slot; one more is answered 503 with
    /// `Retry-After` at once, so that work never queues without bound. Default 64, room
    /// for a map page asking for a screenful of density tiles at once.
    pub expensive_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            max_expensive: std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            expensive_queue: 64,
        }
    }
}

/// Largest body of a request other than `POST /api/incidents` (an alert
/// acknowledgement's note): 64 KiB.
pub const MAX_SMALL_BODY_BYTES: usize = 64 * 1024;

/// Most query parameters one request may carry.
pub const MAX_PARAMETERS: usize = 32;

/// Longest query parameter value (or name), bytes: a list of every category slug is about
/// 300 bytes.
pub const MAX_PARAMETER_BYTES: usize = 2_048;

/// Longest request path, bytes.
pub const MAX_PATH_BYTES: usize = 1_024;

/// Seconds a client is told to wait (`Retry-After`) when the expensive routes are full.
const RETRY_AFTER_S: u64 = 2;

/// Admission to expensive computations: a semaphore of [`Limits::max_expensive`] permits
/// with at most [`Limits::expensive_queue`] requests waiting; counts what it refused.
#[derive(Debug)]
pub(crate) struct ExpensiveGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    limit: usize,
    /// Requests answered 503 because every permit was taken and the queue was full.
    pub(crate) shed: AtomicU64,
    /// Requests answered 503 because they ran past the request timeout.
    pub(crate) timed_out: AtomicU64,
}

/// One running expensive computation: hold it until the work is done (move it into the
/// blocking task, so a request that times out still holds its slot while its work runs).
#[derive(Debug)]
pub(crate) struct ExpensivePermit(#[expect(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

/// Decrements the waiting count when a waiter is admitted or gives up (its request timed
/// out or the client went away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ExpensiveGate {
    pub(crate) fn new(limits: &Limits) -> Self {
        let limit = limits.max_expensive.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            waiting: AtomicUsize::new(0),
            queue: limits.expensive_queue,
            limit,
            shed: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
        }
    }

    /// A permit now, or after waiting in the bounded queue; a 503 with `Retry-After` when
    /// the queue is full.
    pub(crate) async fn enter(&self) -> Result<ExpensivePermit, ApiError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(ExpensivePermit(permit));
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            self.shed.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!(
                    "busy: {} expensive computations are running and {} waiting; retry in {RETRY_AFTER_S} s",
                    self.limit, self.queue
                ),
                parameter: None,
            });
        }
        let _waiting = Waiting(&self.waiting);
        let permit = self.permits.clone().acquire_owned().await.map_err(|e| ApiError::internal(&e))?;
        Ok(ExpensivePermit(permit))
    }

    /// Counts for `/api/health`.
    pub(crate) fn report(&self) -> serde_json::Value {
        serde_json::json!({
            "max_expensive": self.limit,
            "expensive_running": self.limit - self.permits.available_permits(),
            "expensive_waiting": self.waiting.load(Ordering::SeqCst),
            "expensive_queue": self.queue,
            "shed": self.shed.load(Ordering::Relaxed),
            "timed_out": self.timed_out.load(Ordering::Relaxed),
        })
    }
}

/// Whether a request is the live ingest, whose work is never cut short (see
/// [`Limits::request_timeout`]).
fn is_live_ingest(request: &Request) -> bool {
    request.method() == Method::POST && request.uri().path() == "/api/incidents"
}

fn error(status: StatusCode, message: String) -> Response {
    ApiError { status, message, parameter: None }.into_response()
}

/// Bytes of a too-large body read and discarded before the 413 is sent: a client that
/// writes its whole body before reading the answer (most do) then sees the 413 rather than
/// a connection reset. Past this, the connection is closed on it.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;

/// Reads a body of at most `max` bytes; past it (or when the declared length is past it),
/// a 413 after draining what the client sends, up to [`DRAIN_BYTES`].
async fn read_body(body: Body, declared: Option<u64>, max: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the {max} bytes this route accepts"),
        )
    };
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut over = declared.is_some_and(|n| n > max as u64);
    let mut drained = 0_usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            error(StatusCode::BAD_REQUEST, format!("the request body could not be read: {e}"))
        })?;
        if over || bytes.len() + chunk.len() > max {
            over = true;
            bytes = Vec::new();
            drained += chunk.len();
            if drained > DRAIN_BYTES {
                break;
            }
            continue;
        }
        bytes.extend_from_slice(&chunk);
    }
    if over {
        return Err(too_large());
    }
    Ok(Bytes::from(bytes))
}

/// The request limits: path and body size, and the request timeout (see [`Limits`]).
/// A body is read here, under the timeout, so that a slow sender cannot hold a request
/// open; handlers then see it whole.
pub(crate) async fn limit_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = state.0.config.limits;
    let path_bytes = request.uri().path().len();
    if path_bytes > MAX_PATH_BYTES {
        return ApiError::bad_parameter(
            "path",
            format!("the path is {path_bytes} bytes long; at most {MAX_PATH_BYTES}"),
        )
        .into_response();
    }
    let deadline = tokio::time::Instant::now() + limits.request_timeout;
    let live_ingest = is_live_ingest(&request);
    let request = if request.method() == Method::POST {
        let max = if live_ingest { limits.max_body_bytes } else { MAX_SMALL_BODY_BYTES };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let (parts, body) = request.into_parts();
        match tokio::time::timeout_at(deadline, read_body(body, declared, max)).await {
            Err(_) => {
                return error(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} s",
                        limits.request_timeout.as_secs_f64()
                    ),
                );
            }
            Ok(Err(response)) => return response,
            Ok(Ok(bytes)) => Request::from_parts(parts, Body::from(bytes)),
        }
    } else {
        request
    };
    if live_ingest {
        return next.run(request).await;
    }
    match tokio::time::timeout_at(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            state.0.expensive.timed_out.fetch_add(1, Ordering::Relaxed);
            let mut response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the request took longer than {} s; the result may be ready if you retry shortly",
                    limits.request_timeout.as_secs_f64()
                ),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
            response
        }
    }
}

/// Adds `Retry-After` to every 503 that lacks one (a full expensive queue).
pub(crate) async fn retry_after(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
    }
    response
}

/// Whether a response already carries JSON.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().ends_with("json")))
}

/// Answers every error in the JSON shape of [`ApiError`], also those made below the
/// routes (axum's 405 for a wrong method, a panic caught by the catch-panic layer):
/// `{"error": "…"}`.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4_096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
        format!("method {method} is not allowed on {path}; allowed: {allowed}")
    } else {
        text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned())
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = serde_json::json!({ "error": message }).to_string();
    Response::from_parts(parts, Body::from(body))
}

/// The answer to a panic caught below the routes: an opaque JSON 500 (the panic is logged).
pub(crate) fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(&format!("panic: {cause}")).into_response()
}

/// The Content-Security-Policy of the map page and every other response.
///
/// The page loads only its own files (`web/`, MapLibre and uPlot from `node_modules/`):
/// scripts, module workers and styles from `'self'`, no inline script or style. MapLibre
/// makes images from fetched tiles through `blob:` URLs and may start its workers from
/// `blob:`; the page's icon is a `data:` URL. With a basemap style on another origin
/// (`--basemap-style-url https://…`), its styles, tiles, sprites and glyphs come from
/// origins the style names, unknown here: `connect-src` and `img-src` then allow `https:`
/// too (and the style's own origin when it is plain `http:`). Framing is refused
/// (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers).
#[must_use]
pub fn content_security_policy(basemap_style_url: Option<&str>) -> String {
    let mut remote = String::new();
    if let Some(url) = basemap_style_url {
        if url.starts_with("https://") {
            remote.push_str(" https:");
        } else if let Some(rest) = url.strip_prefix("http://") {
            let host = rest.split('/').next().unwrap_or(rest);
            remote.push_str(&format!(" https: http://{host}"));
        }
    }
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self'; \
         img-src 'self' data: blob:{remote}; connect-src 'self'{remote}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The Content-Security-Policy of the printable patrol sheet, a page of its own: its
/// styles are inline and its map an inline SVG; it runs no script.
pub(crate) const PATROL_SHEET_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every response carries (unless the route set its own).
pub(crate) fn security_headers(csp: &str) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.push((header::CONTENT_SECURITY_POLICY, csp));
    }
    headers
}
