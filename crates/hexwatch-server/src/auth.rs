//! Partner sign-in: bearer tokens from configuration, the role of each request, the routes
//! only partners may call, cache headers by role, and the partner access log.
//!
//! A request with `Authorization: Bearer <token>` whose token is a configured partner
//! token is served as [`Role::Partner`]; any other bearer token is a 401 naming
//! `Authorization` (a mistyped token must not silently show the public map); no header is
//! [`Role::Public`]. The POST routes keep their own write token and are not touched here.
//! Tokens are compared in constant time and never logged (the trace logs method and path,
//! not headers; the access log names the token, never the token itself).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hexwatch_core::Role;

use crate::error::ApiError;
use crate::state::{AppState, WriteToken};

/// The request header the authentication layer sets (after removing any the client sent)
/// to pass the role to the routes.
pub(crate) const ROLE_HEADER: HeaderName = HeaderName::from_static("x-hexwatch-role");

/// The request header carrying the signed-in partner's name (set like [`ROLE_HEADER`]).
pub(crate) const PARTNER_HEADER: HeaderName = HeaderName::from_static("x-hexwatch-partner");

/// The configured partner tokens, each with a name for the access log.
#[derive(Debug, Clone, Default)]
pub struct PartnerTokens(Vec<(String, WriteToken)>);

/// Why a partner token file could not be read: the file, the line and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not `name token` with a token of at least 16 characters, or repeats a name.
    #[error("{path}, line {line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the token).
        message: String,
    },
}

impl PartnerTokens {
    /// Tokens from `(name, token)` pairs; `None` when a token is shorter than 16
    /// characters.
    #[must_use]
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Self> {
        pairs
            .into_iter()
            .map(|(name, token)| WriteToken::new(token).map(|t| (name.to_owned(), t)))
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// Reads a token file: one partner a line, `name token` (name without spaces, token at
    /// least 16 characters); blank lines and lines starting with `#` are skipped.
    ///
    /// # Errors
    /// [`TokenFileError`] naming the file and line.
    pub fn read(path: &Path) -> Result<Self, TokenFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TokenFileError::Read { path: path.to_path_buf(), source })?;
        let mut tokens: Vec<(String, WriteToken)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad =
                |message: String| TokenFileError::Line { path: path.to_path_buf(), line: i + 1, message };
            let mut words = line.split_whitespace();
            let (Some(name), Some(token), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad("expected `name token` (two words)".to_owned()));
            };
            let token = WriteToken::new(token)
                .ok_or_else(|| bad(format!("the token of {name:?} is shorter than 16 characters")))?;
            if tokens.iter().any(|(n, _)| n == name) {
                return Err(bad(format!("{name:?} is given twice")));
            }
            tokens.push((name.to_owned(), token));
        }
        Ok(Self(tokens))
    }

    /// How many partners.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no partner is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The name of the partner whose token is `given` (every token compared, in constant
    /// time).
    #[must_use]
    pub fn name_of(&self, given: &str) -> Option<&str> {
        let mut found = None;
        for (name, token) in &self.0 {
            if token.matches(given) && found.is_none() {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// The partner access log: one JSON line per partner request, appended.
#[derive(Debug)]
pub struct AccessLog(Mutex<std::io::LineWriter<std::fs::File>>);

impl AccessLog {
    /// Opens (creating, appending to) the log at `path`.
    ///
    /// # Errors
    /// The I/O error when the file cannot be opened.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self(Mutex::new(std::io::LineWriter::new(file))))
    }

    fn write(&self, line: &serde_json::Value) {
        let mut w = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = writeln!(w, "{line}") {
            tracing::error!(error = %e, "cannot write the partner access log");
        }
    }
}

/// Routes only a partner may call: incident-level detail (a cell's or area's locations and
/// months), operational outputs (hotspot lists, patrol plans, evaluation, alerts; `/api/events`
/// is open to all but sends alerts to partners only), clusters (their outlines pass through
/// incident locations) and LSOA tables.
fn partner_only(method: &Method, path: &str) -> Option<&'static str> {
    if exempt(method) {
        return None;
    }
    let prefixes: [(&str, &str); 8] = [
        ("/api/cells/", "cell detail (incident locations and months)"),
        ("/api/wards/", "ward detail (incident locations and months)"),
        ("/api/lsoas", "LSOA counts"),
        ("/api/hotspots", "the hotspot list"),
        ("/api/patrol-plan", "patrol plans"),
        ("/api/evaluation", "forecast evaluation"),
        ("/api/alerts", "alerts"),
        ("/tiles/clusters", "clusters (their outlines pass through incident locations)"),
    ];
    // Matched on the decoded path: the router matches the raw one, but a path capture is
    // decoded, so `/tiles/%63lusters/…` reaches the `clusters` layer.
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    prefixes.iter().find(|(p, _)| decoded.starts_with(p)).map(|(_, what)| *what)
}

/// Authenticates every request: sets the role, refuses partner-only routes to the public
/// role (401 naming `Authorization`), marks partner responses `Cache-Control: private,
/// no-cache` (browsers revalidate, shared caches keep nothing), adds `Vary: Authorization`, and writes the access log line of each partner
/// request.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    request.headers_mut().remove(ROLE_HEADER);
    request.headers_mut().remove(PARTNER_HEADER);
    let method = request.method().clone();
    let path_and_query = request.uri().path_and_query().map_or_else(String::new, ToString::to_string);
    let partner = if exempt(&method) {
        None
    } else {
        match bearer(request.headers()) {
            Bearer::None => None,
            Bearer::Malformed => {
                return unauthorised("the Authorization header must be `Bearer <partner token>`");
            }
            Bearer::Token(token) => match state.0.config.partner_tokens.name_of(&token) {
                Some(name) => Some(name.to_owned()),
                None => {
                    return unauthorised(
                        "the partner token is not valid (sign in again, or sign out for the public map)",
                    );
                }
            },
        }
    };
    if partner.is_none()
        && let Some(what) = partner_only(&method, request.uri().path())
    {
        return unauthorised(&format!(
            "{what} needs a partner token (Authorization: Bearer <token>); the public map shows counts by cell, ward and period"
        ));
    }
    if let Some(name) = &partner {
        request.headers_mut().insert(ROLE_HEADER, HeaderValue::from_static("partner"));
        if let Ok(v) = HeaderValue::from_str(name) {
            request.headers_mut().insert(PARTNER_HEADER, v);
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    if let Some(name) = partner {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        if let Some(log) = &state.0.access_log {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            log.write(&serde_json::json!({
                "time": jiff::Timestamp::now().to_string(),
                "partner": name,
                "method": method.as_str(),
                "path": path_and_query,
                "status": response.status().as_u16(),
                "ms": (ms * 10.0).round() / 10.0,
            }));
        }
    }
    response
}

/// Requests the layer leaves to the route: POSTs (they take the write token) and CORS
/// preflights (a browser sends them without credentials).
fn exempt(method: &Method) -> bool {
    method == Method::POST || method == Method::OPTIONS
}

enum Bearer {
    None,
    Malformed,
    Token(String),
}

fn bearer(headers: &HeaderMap) -> Bearer {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Bearer::None };
    match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
        Some(t) if !t.trim().is_empty() => Bearer::Token(t.trim().to_owned()),
        _ => Bearer::Malformed,
    }
}

fn unauthorised(message: &str) -> Response {
    let mut response = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: message.to_owned(),
        parameter: Some("Authorization".to_owned()),
    }
    .into_response();
    let h = response.headers_mut();
    h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"hexwatch partner\""));
    h.append(header::VARY, HeaderValue::from_static("Authorization"));
    response
}

/// The signed-in partner's name (from the token file), if any.
pub(crate) fn partner_name(headers: &HeaderMap) -> Option<&str> {
    if role_of(headers) == Role::Partner { headers.get(PARTNER_HEADER)?.to_str().ok() } else { None }
}

/// The role the authentication layer gave a request.
pub(crate) fn role_of(headers: &HeaderMap) -> Role {
    if headers.get(ROLE_HEADER).is_some_and(|v| v == "partner") { Role::Partner } else { Role::Public }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("hexwatch-auth-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn token_file_names_partners_and_refuses_bad_lines_by_number() {
        let good = file_with(
            "good",
            "# partners\n\ncouncil  council-token-0123456789\npolice police-token-0123456789\n",
        );
        let tokens = PartnerTokens::read(&good).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.name_of("police-token-0123456789"), Some("police"));
        assert_eq!(tokens.name_of("police-token-012345678"), None);
        assert_eq!(tokens.name_of(""), None);
        for (name, text, line, says) in [
            ("short", "a aaaaaaaaaaaaaaaa\nb short\n", 2, "shorter than 16"),
            ("words", "a aaaaaaaaaaaaaaaa extra\n", 1, "two words"),
            ("twice", "a aaaaaaaaaaaaaaaa\na bbbbbbbbbbbbbbbb\n", 2, "given twice"),
        ] {
            let path = file_with(name, text);
            let e = PartnerTokens::read(&path).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(&format!("line {line}")) && e.contains(says), "{e}");
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(
                !e.contains("aaaaaaaaaaaaaaaa") && !e.contains("bbbbbbbbbbbbbbbb"),
                "no token in the message: {e}"
            );
            let _ = std::fs::remove_file(path);
        }
        let _ = std::fs::remove_file(good);
        assert!(PartnerTokens::read(Path::new("/nonexistent/partner-tokens")).is_err());
    }
}
