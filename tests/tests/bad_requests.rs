//! Bad requests: every route of the router (`crates/hexwatch-server/src/routes/`) with bad
//! values in each of its parameters and path segments answers 400 (404 for what does not
//! exist, 405 for a wrong method) with a JSON `{"error": …, "parameter": …}` naming the
//! parameter, never a 5xx; the limits (body size, request time, concurrent expensive
//! requests), the security headers and the CORS policy, checked on a live server.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use hexwatch_server::{Limits, WriteToken, content_security_policy};

mod common;
use common::{Server, dorset_store, start_server_on};

const TOKEN: &str = "bad-requests-token-0123456789";

/// The Dorset store, ingested once for every server of this file.
fn store() -> &'static PathBuf {
    static STORE: OnceLock<(PathBuf, tempfile::TempDir)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let (store, dir) = dorset_store();
            (store.path().to_path_buf(), dir)
        })
        .0
}

/// The server with default limits and a write token.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start_server_on(store(), |c| c.write_token = WriteToken::new(TOKEN)))
}

/// A response as read off the socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {} {:?}", self.status, String::from_utf8_lossy(&self.body))
        })
    }
}

/// One HTTP/1.1 request on its own connection (raw, so that any method, header, path or
/// body can be sent as is), `body_pause` waiting between the headers and the body.
fn request_with(
    base: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    body_pause: Option<Duration>,
) -> Reply {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(600))).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    // Every route is checked as a partner (the public role is refused the partner-only
    // routes before their parameters are read: tests/tests/disclosure.rs); POSTs carry the
    // write token instead.
    if method != "POST" && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
        head.push_str(&format!("Authorization: {}\r\n", common::partner_bearer()));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    if let Some(pause) = body_pause {
        std::thread::sleep(pause);
    }
    // The server may answer (413) and close before the whole body is sent.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    request_with(&server().base, method, target, headers, body, None)
}

fn get(target: &str) -> Reply {
    request("GET", target, &[], b"")
}

fn parse(raw: &[u8]) -> Reply {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
        panic!("no complete response: {:?}", String::from_utf8_lossy(raw));
    });
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        let mut plain = Vec::new();
        let mut rest = body.as_slice();
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            plain.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = plain;
    }
    Reply { status, headers, body }
}

/// Asserts a JSON error of `status` naming `parameter` (when given).
fn assert_error(reply: &Reply, target: &str, status: u16, parameter: Option<&str>) {
    let target = short(target);
    assert_eq!(reply.status, status, "{target}: {}", String::from_utf8_lossy(&reply.body));
    assert!(
        reply.header("content-type").is_some_and(|t| t.starts_with("application/json")),
        "{target}: {:?}",
        reply.headers
    );
    let json = reply.json();
    let message = json["error"].as_str().unwrap_or_else(|| panic!("{target}: no error message: {json}"));
    assert!(!message.is_empty(), "{target}");
    if let Some(p) = parameter {
        assert_eq!(json["parameter"].as_str(), Some(p), "{target}: {json}");
    }
}

/// A list of 10,000 items.
fn long_list(item: &str) -> String {
    vec![item; 10_000].join(",")
}

/// (target, status, parameter) for every GET route.
fn get_cases() -> Vec<(String, u16, Option<&'static str>)> {
    let tile = "/tiles/cells/13/4053/2752";
    let long = "x".repeat(10_000);
    let many_params: String = (0..40).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&");
    let mut cases: Vec<(String, u16, Option<&'static str>)> = vec![
        // Routes without parameters refuse any.
        ("/api/health?x=1".into(), 400, Some("x")),
        ("/api/meta?category=drugs".into(), 400, Some("category")),
        ("/catalog?verbose=true".into(), 400, Some("verbose")),
        ("/api/areas/wards?format=csv".into(), 400, Some("format")),
        ("/api/events?since=1".into(), 400, Some("since")),
        (format!("/api/health?{many_params}"), 400, Some("query")),
        // Path segments of tiles.
        ("/tiles/cells/23/0/0".into(), 400, Some("z")),
        ("/tiles/cells/99999999999/0/0".into(), 400, Some("z")),
        ("/tiles/cells/-1/0/0".into(), 400, Some("z")),
        ("/tiles/cells/abc/0/0".into(), 400, Some("z")),
        ("/tiles/cells/13/8192/0".into(), 400, Some("x")),
        ("/tiles/cells/13/-1/0".into(), 400, Some("x")),
        ("/tiles/cells/13/1.5/0".into(), 400, Some("x")),
        ("/tiles/cells/13/0/8192".into(), 400, Some("y")),
        ("/tiles/cells/13/0/1e3".into(), 400, Some("y")),
        ("/tiles/cells/13/4053/2752.png".into(), 400, Some("y")),
        ("/tiles/cells/0/1/0".into(), 400, Some("x")),
        ("/tiles/nope/13/4053/2752".into(), 404, Some("layer")),
        ("/tiles/nope".into(), 404, Some("layer")),
        (format!("/api/cells/{long}"), 400, Some("path")),
        ("/api/wards/%FF".into(), 400, Some("path")),
        // The shared filters.
        (format!("{tile}?from=2025-12&to=2025-01"), 400, Some("from")),
        (format!("{tile}?from=2025-13"), 400, Some("from")),
        (format!("{tile}?to=25-01"), 400, Some("to")),
        (format!("{tile}?from=3000-01"), 400, Some("from")),
        (format!("{tile}?from=2025-01&from=2025-02"), 400, Some("from")),
        (format!("{tile}?from="), 400, Some("from")),
        (format!("{tile}?category=nope"), 400, Some("category")),
        (format!("{tile}?category={}", long_list("drugs")), 400, Some("category")),
        (format!("{tile}?category={}", vec!["drugs"; 100].join(",")), 400, Some("category")),
        // Bytes that are not UTF-8 are read as U+FFFD, which names no category.
        (format!("{tile}?category=%FF"), 400, Some("category")),
        (format!("{tile}?area=ward:E99999999"), 400, Some("area")),
        (format!("{tile}?area=custom:nope/x"), 400, Some("area")),
        (format!("{tile}?area={long}"), 400, Some("area")),
        (format!("{tile}?res=13"), 400, Some("res")),
        (format!("{tile}?res=4"), 400, Some("res")),
        (format!("{tile}?res=-1"), 400, Some("res")),
        (format!("{tile}?res=nine"), 400, Some("res")),
        (format!("{tile}?hours=22-3"), 400, Some("hours")),
        (format!("{tile}?hours=25"), 400, Some("hours")),
        (format!("{tile}?weekdays=fri"), 400, Some("weekdays")),
        (format!("{tile}?weekdays=funday"), 400, Some("weekdays")),
        // Found by the fuzz target api_query: a character across byte 3 was a panic (500).
        (format!("{tile}?weekdays=mi%C3%A9"), 400, Some("weekdays")),
        (format!("{tile}?flag=knife"), 400, Some("flag")),
        (format!("{tile}?flag={}", long_list("knife")), 400, Some("flag")),
        (format!("{tile}?colour=red"), 400, Some("colour")),
        // The cells layer's statistics and density.
        (format!("{tile}?method=foo"), 400, Some("method")),
        (format!("{tile}?method=gistar&k=0"), 400, Some("k")),
        (format!("{tile}?method=gistar&k=-1"), 400, Some("k")),
        (format!("{tile}?method=moran&permutations=10000"), 400, Some("permutations")),
        (format!("{tile}?method=moran&permutations=0"), 400, Some("permutations")),
        (format!("{tile}?method=gistar&seed=x"), 400, Some("seed")),
        (format!("{tile}?bandwidth_m=0"), 400, Some("bandwidth_m")),
        (format!("{tile}?bandwidth_m=-5"), 400, Some("bandwidth_m")),
        (format!("{tile}?bandwidth_m=NaN"), 400, Some("bandwidth_m")),
        (format!("{tile}?bandwidth_m=inf"), 400, Some("bandwidth_m")),
        (format!("{tile}?bandwidth_m=1e9"), 400, Some("bandwidth_m")),
        (format!("{tile}?kernel=box"), 400, Some("kernel")),
        ("/tiles/cells?res=99".into(), 400, Some("res")),
        ("/tiles/cells?method=moran&permutations=-1".into(), 400, Some("permutations")),
        // Density layers.
        ("/tiles/density/13/4053/2752?cell_size_m=1".into(), 400, Some("cell_size_m")),
        ("/tiles/density/13/4053/2752?cell_size_m=5".into(), 400, Some("cell_size_m")),
        ("/tiles/density-contours/13/4053/2752?cell_size_m=5".into(), 400, Some("cell_size_m")),
        ("/tiles/density?cell_size_m=5".into(), 400, Some("cell_size_m")),
        ("/tiles/density?bandwidth_m=x".into(), 400, Some("bandwidth_m")),
        ("/tiles/density/13/4053/2752?method=gistar".into(), 400, Some("method")),
        ("/tiles/density-contours?kernel=box".into(), 400, Some("kernel")),
        // Boundaries.
        ("/tiles/boundaries/13/4053/2752?set=nope".into(), 400, Some("set")),
        ("/tiles/boundaries/13/4053/2752?set=ward&set=lsoa".into(), 400, Some("set")),
        ("/tiles/boundaries?category=drugs".into(), 400, Some("category")),
        // The API routes.
        ("/api/summary?from=2025-06&to=2025-01".into(), 400, Some("from")),
        ("/api/summary?method=gistar".into(), 400, Some("method")),
        (format!("/api/summary?category={}", long_list("drugs")), 400, Some("category")),
        ("/api/hotspots?limit=0".into(), 400, Some("limit")),
        ("/api/hotspots?limit=10001".into(), 400, Some("limit")),
        ("/api/hotspots?limit=-1".into(), 400, Some("limit")),
        ("/api/hotspots?limit=ten".into(), 400, Some("limit")),
        ("/api/hotspots?format=xml".into(), 400, Some("format")),
        ("/api/hotspots?method=emerging&k=4".into(), 400, Some("k")),
        ("/api/cells/not-a-cell".into(), 400, Some("h3")),
        ("/api/cells/8f2830828052d25".into(), 400, Some("h3")),
        ("/api/cells/ffffffffffffffff".into(), 400, Some("h3")),
        ("/api/cells/84195c3ffffffff".into(), 400, Some("h3")),
        ("/api/cells/891959710bbffff?res=9".into(), 400, Some("res")),
        ("/api/cells/891959710bbffff?from=2025-99".into(), 400, Some("from")),
        ("/api/wards/E99999999".into(), 404, Some("code")),
        ("/api/wards/E05012653?area=bcp".into(), 400, Some("area")),
        ("/api/wards/E05012653?to=2025-00".into(), 400, Some("to")),
        ("/api/wards?format=xml".into(), 400, Some("format")),
        ("/api/wards?area=bcp".into(), 400, Some("area")),
        ("/api/lsoas/E00000000".into(), 404, Some("code")),
        ("/api/lsoas?format=shp".into(), 400, Some("format")),
        ("/api/lsoas?category=nope".into(), 400, Some("category")),
        ("/api/patrol-plan?areas=0".into(), 400, Some("areas")),
        ("/api/patrol-plan?areas=101".into(), 400, Some("areas")),
        ("/api/patrol-plan?areas=five".into(), 400, Some("areas")),
        ("/api/patrol-plan?ring=11".into(), 400, Some("ring")),
        ("/api/patrol-plan?ring=-1".into(), 400, Some("ring")),
        ("/api/patrol-plan?radius_m=0".into(), 400, Some("radius_m")),
        ("/api/patrol-plan?radius_m=5001".into(), 400, Some("radius_m")),
        ("/api/patrol-plan?radius_m=NaN".into(), 400, Some("radius_m")),
        ("/api/patrol-plan?ring=1&radius_m=100".into(), 400, Some("radius_m")),
        ("/api/patrol-plan?harm=maybe".into(), 400, Some("harm")),
        ("/api/patrol-plan?format=pdf".into(), 400, Some("format")),
        ("/api/patrol-plan?hours=25-2".into(), 400, Some("hours")),
        ("/api/patrol-plan?weekdays=funday".into(), 400, Some("weekdays")),
        (format!("/api/patrol-plan?title={long}"), 400, Some("title")),
        ("/api/patrol-plan?category=nope".into(), 400, Some("category")),
        ("/api/evaluation?min_training_months=0".into(), 400, Some("min_training_months")),
        ("/api/evaluation?min_training_months=25".into(), 400, Some("min_training_months")),
        ("/api/evaluation?format=png".into(), 400, Some("format")),
        ("/api/evaluation?res=13".into(), 400, Some("res")),
        ("/api/evaluation?method=gistar".into(), 400, Some("method")),
        ("/api/alerts?status=new".into(), 400, Some("status")),
        ("/api/alerts?period=2025-13".into(), 400, Some("period")),
        ("/api/alerts?kind=lsoa".into(), 400, Some("kind")),
        ("/api/alerts?since=1".into(), 400, Some("since")),
        // What does not exist.
        ("/api/nope".into(), 404, None),
        ("/nope.js".into(), 404, None),
        ("/tiles/cells/13/4053".into(), 404, None),
    ];
    cases.shrink_to_fit();
    cases
}

/// The first 120 characters of a target, for messages.
fn short(target: &str) -> String {
    target.chars().take(120).collect()
}

#[test]
fn every_get_route_answers_bad_values_with_a_json_400_naming_the_parameter() {
    let cases = get_cases();
    for (target, status, parameter) in &cases {
        let reply = get(target);
        assert!(reply.status < 500, "{}: {}", short(target), reply.status);
        assert_error(&reply, target, *status, *parameter);
    }
    // A request line over 64 KiB (10,000 long slugs) is refused by the HTTP parser itself
    // (hyper) with a bare 414, before any route: a 4xx all the same.
    let reply = get(&format!("/api/summary?category={}", long_list("anti-social-behaviour")));
    assert_eq!(reply.status, 414);
    // The same good requests answer 200, so the 400s above are about the bad values.
    for target in [
        "/tiles/cells/13/4053/2752?from=2025-01&to=2025-12&category=drugs&area=bcp&res=9",
        "/api/cells/891959710bbffff?from=2025-01",
        "/api/wards/E05012653?to=2025-06",
        "/api/hotspots?limit=10000",
        "/tiles/boundaries/13/4053/2752?set=ward",
    ] {
        assert_eq!(get(target).status, 200, "{target}");
    }
    eprintln!("{} bad GET requests answered as expected", cases.len());
}

/// (target, headers, body, status, parameter) of a POST.
type WriteCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [u8], u16, Option<&'a str>);

#[test]
fn write_routes_answer_bad_requests_in_json() {
    let with_token = [("Authorization", "Bearer bad-requests-token-0123456789")];
    let json = ("Content-Type", "application/json");
    let cases: Vec<WriteCase<'_>> = vec![
        ("/api/incidents?source=a&batch=b&zzz=1", vec![with_token[0], json], b"[]", 400, Some("zzz")),
        ("/api/incidents?batch=b", vec![with_token[0], json], b"[]", 400, Some("source")),
        ("/api/incidents?source=a", vec![with_token[0], json], b"[]", 400, Some("batch")),
        ("/api/incidents?source=a|b&batch=b", vec![with_token[0], json], b"[]", 400, Some("source")),
        (
            "/api/incidents?source=a&batch=b&time_zone=Mars/Olympus",
            vec![with_token[0], json],
            b"[]",
            400,
            Some("time_zone"),
        ),
        (
            "/api/incidents?source=a&batch=b",
            vec![with_token[0], ("Content-Type", "text/csv")],
            b"category,time,lon,lat,_problem\nDrugs,2025-07-01,-1.87,50.72,x\n",
            400,
            Some("body"),
        ),
        ("/api/incidents?source=a&batch=b", vec![with_token[0], json], b"{not json", 400, Some("body")),
        ("/api/incidents?source=a&batch=b", vec![with_token[0], json], b"{\"a\": 1}", 400, Some("body")),
        ("/api/incidents?source=a&batch=b", vec![json], b"[]", 401, None),
        (
            "/api/incidents?source=a&batch=b",
            vec![("Authorization", "Bearer wrong-token-0123456789"), json],
            b"[]",
            401,
            None,
        ),
        (
            "/api/incidents?source=a&batch=b",
            vec![with_token[0], ("Content-Type", "text/xml")],
            b"<x/>",
            415,
            None,
        ),
        ("/api/alerts/nope/ack", vec![with_token[0], json], b"{not json", 400, Some("body")),
        ("/api/alerts/nope/ack", vec![with_token[0], json], b"{\"status\": \"gone\"}", 400, Some("status")),
        ("/api/alerts/nope/ack", vec![with_token[0], json], b"{\"status\": \"closed\"}", 404, None),
        ("/api/alerts/nope/ack", vec![json], b"{}", 401, None),
    ];
    for (target, headers, body, status, parameter) in cases {
        let reply = request("POST", target, &headers, body);
        assert_error(&reply, target, status, parameter);
    }
    let note = serde_json::json!({ "note": "x".repeat(5_000) }).to_string();
    let reply = request("POST", "/api/alerts/nope/ack", &[with_token[0], json], note.as_bytes());
    assert_error(&reply, "ack with a long note", 400, Some("note"));
    // A body over the small-body limit of the acknowledgement route: 413 before it is read.
    let big = vec![b' '; hexwatch_server::MAX_SMALL_BODY_BYTES + 1];
    let reply = request("POST", "/api/alerts/nope/ack", &[with_token[0], json], &big);
    assert_error(&reply, "ack with a big body", 413, None);
}

#[test]
fn wrong_methods_and_unknown_paths_answer_json() {
    for (method, target, status) in [
        ("POST", "/api/summary", 405),
        ("DELETE", "/tiles/cells", 405),
        ("PUT", "/api/incidents?source=a&batch=b", 405),
        ("GET", "/api/incidents", 405),
        ("GET", "/api/alerts/x/ack", 405),
        // Only GET and HEAD reach the page's files.
        ("DELETE", "/api/nope", 405),
    ] {
        let reply = request(method, target, &[], b"");
        assert_error(&reply, &format!("{method} {target}"), status, None);
        if status == 405 {
            assert!(
                reply.json()["error"].as_str().unwrap().contains(&format!("method {method} is not allowed"))
            );
        }
    }
}

#[test]
fn security_headers_on_the_page_the_api_and_the_tiles() {
    let csp = content_security_policy(None);
    for target in ["/", "/index.html", "/app.js", "/api/meta", "/tiles/cells/13/4053/2752", "/api/nope"] {
        let reply = get(target);
        assert!(reply.status == 200 || target == "/api/nope", "{target}: {}", reply.status);
        assert_eq!(reply.header("content-security-policy"), Some(csp.as_str()), "{target}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{target}");
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{target}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{target}");
    }
    // What the page's policy allows: its own scripts, styles and workers, and the blob:
    // and data: images and workers MapLibre makes; no inline script; no framing.
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.split("; ").any(|d| d == directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    // A basemap on another origin widens connect-src and img-src to https: only.
    let with_basemap = content_security_policy(Some("https://tiles.example.org/style.json"));
    assert!(with_basemap.contains("connect-src 'self' https:;"), "{with_basemap}");
    assert!(with_basemap.contains("img-src 'self' data: blob: https:;"), "{with_basemap}");
    // The printable patrol sheet is a page of its own: inline styles, no script.
    let sheet = get("/api/patrol-plan?areas=2&format=html");
    assert_eq!(sheet.status, 200);
    let sheet_csp = sheet.header("content-security-policy").unwrap();
    assert!(sheet_csp.starts_with("default-src 'none'; style-src 'unsafe-inline'"), "{sheet_csp}");
    assert_eq!(sheet.header("x-frame-options"), Some("DENY"));
}

#[test]
fn cors_lets_any_origin_read_tiles_and_nothing_else() {
    let origin = ("Origin", "https://other-map.example.org");
    for target in ["/tiles/cells", "/tiles/cells/13/4053/2752", "/tiles/boundaries/13/4053/2752", "/catalog"]
    {
        let reply = request("GET", target, &[origin], b"");
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"), "{target}");
    }
    let preflight = request(
        "OPTIONS",
        "/tiles/density/13/4053/2752",
        &[origin, ("Access-Control-Request-Method", "GET")],
        b"",
    );
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    let methods = preflight.header("access-control-allow-methods").unwrap();
    assert!(methods.contains("GET") && methods.contains("HEAD") && !methods.contains("POST"), "{methods}");
    // The API and the write routes are same-origin only: no CORS headers, so a browser on
    // another site can neither read them nor pass the preflight of a write.
    for target in ["/api/summary", "/api/meta", "/api/alerts"] {
        let reply = request("GET", target, &[origin], b"");
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.header("access-control-allow-origin"), None, "{target}");
    }
    for target in ["/api/incidents?source=a&batch=b", "/api/alerts/x/ack"] {
        let reply = request(
            "OPTIONS",
            target,
            &[
                origin,
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
            b"",
        );
        assert_ne!(reply.status, 200, "{target}");
        assert_eq!(reply.header("access-control-allow-origin"), None, "{target}");
        assert_eq!(reply.header("access-control-allow-methods"), None, "{target}");
    }
}

#[test]
fn body_limit_answers_413_in_json() {
    let server = start_server_on(store(), |c| {
        c.write_token = WriteToken::new(TOKEN);
        c.limits = Limits { max_body_bytes: 1_024, ..Limits::default() };
    });
    let headers = [("Authorization", "Bearer bad-requests-token-0123456789"), ("Content-Type", "text/csv")];
    let target = "/api/incidents?source=limit&batch=b";
    let mut body = b"category,time,lon,lat\n".to_vec();
    while body.len() <= 1_024 {
        body.extend_from_slice(b"Drugs,2025-07-01,-1.87,50.72\n");
    }
    let reply = request_with(&server.base, "POST", target, &headers, &body, None);
    assert_error(&reply, "a body over the limit", 413, None);
    assert!(reply.json()["error"].as_str().unwrap().contains("larger than the 1024 bytes"));
    let small = b"category,time,lon,lat\nDrugs,2025-07-01,-1.87,50.72\n";
    let reply = request_with(&server.base, "POST", target, &headers, small, None);
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
}

#[test]
fn request_timeout_answers_503_in_json_and_a_slow_body_408() {
    let server = start_server_on(store(), |c| {
        c.write_token = WriteToken::new(TOKEN);
        c.limits = Limits { request_timeout: Duration::from_millis(300), ..Limits::default() };
    });
    // The backtest takes seconds; the answer comes at the timeout.
    let started = std::time::Instant::now();
    let reply = request_with(&server.base, "GET", "/api/evaluation?area=bcp", &[], b"", None);
    assert_error(&reply, "a slow request", 503, None);
    assert!(reply.json()["error"].as_str().unwrap().contains("took longer than 0.3 s"));
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // A body that does not arrive in time.
    let headers = [("Authorization", "Bearer bad-requests-token-0123456789"), ("Content-Type", "text/csv")];
    let reply = request_with(
        &server.base,
        "POST",
        "/api/incidents?source=slow&batch=b",
        &headers,
        b"category,time,lon,lat\n",
        Some(Duration::from_millis(1_000)),
    );
    assert_error(&reply, "a slow body", 408, None);
    let health = request_with(&server.base, "GET", "/api/health", &[], b"", None).json();
    assert!(health["limits"]["timed_out"].as_u64().unwrap() >= 1, "{health}");
}

#[test]
fn saturated_expensive_routes_answer_503_with_retry_after_and_count_it() {
    let server = start_server_on(store(), |c| {
        c.limits = Limits { max_expensive: 1, expensive_queue: 1, ..Limits::default() };
    });
    let base = server.base.clone();
    // Eight backtests at once: one runs, one waits, the rest are refused at once.
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let base = base.clone();
                scope.spawn(move || {
                    let target = format!("/api/evaluation?area=bcp&min_training_months={}", 3 + i % 2);
                    request_with(&base, "GET", &target, &[], b"", None)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let shed: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    let served = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(shed.len() + served, 8, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(served >= 1 && shed.len() >= 4, "served {served}, shed {}", shed.len());
    for reply in &shed {
        assert_error(reply, "a shed request", 503, None);
        assert_eq!(reply.header("retry-after"), Some("2"));
        assert!(
            reply.json()["error"].as_str().unwrap().starts_with("busy: 1 expensive computations are running")
        );
    }
    let health = request_with(&base, "GET", "/api/health", &[], b"", None).json();
    assert_eq!(health["limits"]["shed"].as_u64(), Some(shed.len() as u64), "{health}");
    assert_eq!(health["limits"]["max_expensive"], 1);
    // Cheap routes are not gated.
    assert_eq!(request_with(&base, "GET", "/api/summary", &[], b"", None).status, 200);
}
