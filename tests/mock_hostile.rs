//! A hostile client against the mock over real HTTP: requests that used to abort or panic the
//! server (issue 8), lose their answer to a connection reset, or hold a tenant's lock for
//! minutes are answered (with a SCIM error where they are wrong), and the server keeps serving.
//!
//! The server runs on a multi-threaded runtime, so handlers run on tokio worker threads with
//! their default 2 MiB stacks, exactly as under `scimcheck serve`.

#[path = "mock_support/mod.rs"]
mod support;

use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use scimcheck::mock::MockConfig;
use scimcheck::scim::filter::{MAX_DEPTH, MAX_TERMS};
use serde_json::{Value, json};
use support::*;

/// `n` copies of `open`, then `inner`, then `n` copies of `close`.
fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

fn search(filter: &str) -> Value {
    json!({"schemas": [SEARCH_URN], "filter": filter})
}

/// The server still answers ordinary requests correctly.
async fn assert_alive(mock: &Mock) {
    let listed = mock.get("/Users").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["schemas"], json!([LIST_URN]));
}

/// A mock holding one user with two emails.
async fn mock_with_user() -> (Mock, String) {
    let mock = Mock::start().await;
    let user = mock
        .user_with(json!({
            "userName": "bjensen",
            "emails": [
                {"value": "b@example.com", "type": "work"},
                {"value": "b@home.example", "type": "home"}
            ]
        }))
        .await;
    let id = id(&user);
    (mock, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_parentheses_in_a_get_filter() {
    let (mock, _) = mock_with_user().await;
    let at_limit = nest("(", "userName pr", ")", MAX_DEPTH);
    let found = mock.query("/Users", &[("filter", &at_limit)]).await;
    assert_eq!(found.user_names(), ["bjensen"], "{}", found.text);
    // 2,000 levels: a 4 KB URL that used to overflow a worker's stack.
    let deep = nest("(", "userName pr", ")", 2000);
    assert!(deep.len() > 4000);
    let refused = mock.query("/Users", &[("filter", &deep)]).await;
    refused.assert_error(400, Some("invalidFilter"));
    assert!(refused.text.contains("deeper than"), "{}", refused.text);
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_not_in_a_search() {
    let (mock, _) = mock_with_user().await;
    // An even number of `not`s keeps the meaning: the user is found.
    let at_limit = nest("not (", "userName pr", ")", MAX_DEPTH);
    let found = mock.post("/Users/.search", &search(&at_limit)).await;
    assert_eq!(found.user_names(), ["bjensen"], "{}", found.text);
    for depth in [MAX_DEPTH + 1, 2000, 100_000] {
        let deep = nest("not (", "userName pr", ")", depth);
        for path in ["/Users/.search", "/.search"] {
            mock.post(path, &search(&deep))
                .await
                .assert_error(400, Some("invalidFilter"));
        }
    }
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nesting_of_100000_levels() {
    let (mock, id) = mock_with_user().await;
    for (open, close) in [("(", ")"), ("not(", ")"), ("emails[", "]")] {
        let deep = nest(open, "type pr", close, 100_000);
        mock.post("/Users/.search", &search(&deep))
            .await
            .assert_error(400, Some("invalidFilter"));
        let path = format!("emails[{deep}]");
        mock.patch(
            &format!("/Users/{id}"),
            json!([{"op": "remove", "path": path}]),
        )
        .await
        .assert_error(400, Some("invalidPath"));
    }
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_patch_paths() {
    let (mock, id) = mock_with_user().await;
    let path = |depth: usize| {
        format!(
            "emails[{}].value",
            nest("(", r#"type eq "work""#, ")", depth)
        )
    };
    let patched = mock
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": path(MAX_DEPTH - 1), "value": "w@example.com"}]),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["emails"][0]["value"], "w@example.com");
    for depth in [MAX_DEPTH, 2000] {
        mock.patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": path(depth), "value": "x@example.com"}]),
        )
        .await
        .assert_error(400, Some("invalidFilter"));
    }
    // Path-less operations use their keys as paths.
    let key = "name.".repeat(2000) + "givenName";
    mock.patch(
        &format!("/Users/{id}"),
        json!([{"op": "add", "value": {key: "x"}}]),
    )
    .await
    .assert_error(400, Some("invalidPath"));
    let unchanged = mock.get(&format!("/Users/{id}")).await;
    assert_eq!(unchanged.body["emails"][0]["value"], "w@example.com");
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_40000_term_or_chain() {
    let (mock, _) = mock_with_user().await;
    let chain =
        |n: usize| vec![r#"userName eq "x""#; n].join(" or ") + r#" or userName eq "bjensen""#;
    let at_limit = mock
        .post("/Users/.search", &search(&chain(MAX_TERMS - 1)))
        .await;
    assert_eq!(at_limit.user_names(), ["bjensen"], "{}", at_limit.text);
    let over = mock
        .post("/Users/.search", &search(&chain(MAX_TERMS)))
        .await;
    over.assert_error(400, Some("invalidFilter"));
    assert!(over.text.contains("attribute expressions"), "{}", over.text);
    let long = chain(40_000);
    mock.post("/Users/.search", &search(&long))
        .await
        .assert_error(400, Some("invalidFilter"));
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_query_parameters() {
    let (mock, id) = mock_with_user().await;
    let user = format!("/Users/{id}");
    // Multi-byte characters where a byte-indexed `urn:` check used to slice.
    for text in ["abcé", "urnä", "ürn:x", "名前", "emails.välue"] {
        for param in ["attributes", "excludedAttributes"] {
            for path in ["/Users", user.as_str()] {
                mock.query(path, &[(param, text)])
                    .await
                    .assert_error(400, Some("invalidValue"));
            }
        }
        mock.query("/Users", &[("sortBy", text)])
            .await
            .assert_error(400, Some("invalidValue"));
        mock.query("/Users", &[("filter", &format!("{text} pr"))])
            .await
            .assert_error(400, Some("invalidFilter"));
    }
    // An unknown schema URN selects nothing rather than failing (RFC 7644 §3.9 names URNs).
    let projected = mock.query(&user, &[("attributes", "urn:é")]).await;
    assert_eq!(projected.status, 200, "{}", projected.text);
    mock.query("/Users", &[("sortBy", "urn:é")])
        .await
        .assert_error(400, Some("invalidValue"));
    let found = mock
        .query("/Users", &[("filter", r#"userName eq "bjensén""#)])
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_bodies() {
    let (mock, id) = mock_with_user().await;
    // serde_json refuses more than 128 levels; the refusal must be a SCIM error.
    for depth in [200, 100_000] {
        let deep = nest("[", "1", "]", depth);
        let body = format!(r#"{{"schemas": ["{USER_URN}"], "userName": "deep", "x": {deep}}}"#);
        let refused = Mock::send(
            mock.req(Method::POST, "/Users")
                .header(CONTENT_TYPE, "application/scim+json")
                .body(body),
        )
        .await;
        refused.assert_error(400, Some("invalidSyntax"));
    }
    // Just under the parser's limit, in places the mock walks: PATCH values and Bulk data.
    let value = serde_json::from_str::<Value>(&nest(r#"{"a":"#, r#""bulkId:x""#, "}", 120))
        .expect("parses");
    let patched = mock
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "add", "value": {"name": value.clone()}}]),
        )
        .await;
    assert!(patched.status < 500, "{}", patched.text);
    let bulk = mock
        .post(
            "/Bulk",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": [{"method": "POST", "bulkId": "y", "path": "/Users",
                                    "data": {"schemas": [USER_URN], "userName": "n", "x": value}}]}),
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text);
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_bodies_and_numbers() {
    let mock = Mock::start().await;
    // Declared beyond maxPayloadSize: refused before any of it is read.
    let declared = Mock::send(
        mock.req(Method::POST, "/Users")
            .header(CONTENT_TYPE, "application/scim+json")
            .header(CONTENT_LENGTH, "999999999999")
            .body(""),
    )
    .await;
    declared.assert_error(413, None);
    for (count, start) in [
        ("99999999999999999999999", "1"),
        ("1", "-99999999999999999999999"),
        ("1e9", "1"),
    ] {
        mock.query("/Users", &[("count", count), ("startIndex", start)])
            .await
            .assert_error(400, Some("invalidValue"));
    }
    for (count, start) in [
        (i64::MAX, i64::MAX),
        (i64::MIN, i64::MIN),
        (0, i64::MAX),
        (i64::MAX, 1),
    ] {
        let (count, start) = (count.to_string(), start.to_string());
        let page = mock
            .query("/Users", &[("count", &count), ("startIndex", &start)])
            .await;
        assert_eq!(page.status, 200, "{count} {start}: {}", page.text);
        let cursor = mock
            .query("/Users", &[("count", &count), ("cursor", "")])
            .await;
        assert!(cursor.status < 500, "{count}: {}", cursor.text);
        let body = json!({"schemas": [SEARCH_URN], "count": count.parse::<i64>().ok(),
                          "startIndex": start.parse::<i64>().ok()});
        let searched = mock.post("/Users/.search", &body).await;
        assert_eq!(searched.status, 200, "{body}: {}", searched.text);
    }
    let search = json!({"schemas": [SEARCH_URN], "count": 1e300, "startIndex": u64::MAX});
    mock.post("/Users/.search", &search)
        .await
        .assert_error(400, Some("invalidValue"));
    let bulk = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                      "failOnErrors": u64::MAX,
                      "Operations": vec![json!({"method": "DELETE", "path": "/Users/x"}); 20_000]});
    mock.post("/Bulk", &bulk).await.assert_error(413, None);
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_sort_paths_and_many_parameters() {
    let (mock, _) = mock_with_user().await;
    for sort_by in [
        r#"emails[type eq "work"]"#,
        "urn:",
        "urn:x:",
        "a.b.c",
        ".",
        "emails.value.x",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "members",
        "$ref",
    ] {
        let sorted = mock.query("/Users", &[("sortBy", sort_by)]).await;
        assert!(
            sorted.status == 200 || sorted.body["scimType"] == "invalidValue",
            "{sort_by}: {}",
            sorted.text
        );
    }
    let names: Vec<String> = (0..300).map(|i| format!("a{i}")).collect();
    mock.query("/Users", &[("attributes", &names.join(","))])
        .await
        .assert_error(400, Some("invalidValue"));
    // As many as fit in a URI (http caps it at 64 KiB).
    let many: Vec<(String, String)> = (0..5_000)
        .map(|i| (format!("p{i}"), "x".to_owned()))
        .collect();
    let answered = Mock::send(mock.req(Method::GET, "/Users").query(&many)).await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_nobody_reads_do_not_cost_the_answer() {
    let (mock, id) = mock_with_user().await;
    // Large, but within maxPayloadSize: the answer comes before the client has sent it all.
    let body = json!({"schemas": [SEARCH_URN], "filter": "x".repeat(600 * 1024)}).to_string();
    // Answered without looking at the body: 415, 405, 401 and DELETE of a missing resource.
    // A connection closed with the body unread is reset, and the answer lost with it.
    for i in 0..120 {
        let (request, content_type, status) = match i % 4 {
            0 => (mock.req(Method::POST, "/.search"), "text/plain", 415),
            1 => (
                mock.req(Method::PATCH, "/Schemas"),
                "application/scim+json",
                405,
            ),
            2 => (
                mock.client
                    .post(mock.url("/Users"))
                    .bearer_auth("not-the-token"),
                "application/scim+json",
                401,
            ),
            _ => (
                mock.req(Method::DELETE, "/Users/missing"),
                "application/scim+json",
                404,
            ),
        };
        let request = request
            .header(CONTENT_TYPE, content_type)
            .body(body.clone());
        let answered = Mock::send(request).await;
        assert_eq!(answered.status, status, "request {i}: {}", answered.text);
    }
    let read = mock.get(&format!("/Users/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413() {
    let mock = Mock::start().await;
    let body = json!({"schemas": [USER_URN], "userName": "x".repeat(2 * 1024 * 1024)}).to_string();
    for i in 0..20 {
        let answered = Mock::send(
            mock.req(Method::POST, "/Users")
                .header(CONTENT_TYPE, "application/scim+json")
                .body(body.clone()),
        )
        .await;
        assert_eq!(answered.status, 413, "request {i}: {}", answered.text);
    }
    assert_alive(&mock).await;
}

/// Sends raw HTTP/1.1 and returns the status line of the answer.
async fn raw_status_line(mock: &Mock, head: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = mock
        .server
        .base_url()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("an authority")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connects");
    // The server may answer before it has read everything, so a failed write is no failure.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_http_layer_refuses() {
    let mock = Mock::start().await;
    // Too long for a URI (http caps them at 64 KiB), so hyper answers before any handler: the
    // server must still be up afterwards.
    let filter = nest("(", "userName%20pr", ")", 100_000);
    let line = raw_status_line(
        &mock,
        format!(
            "GET /scim/v2/Users?filter={filter} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            mock.token
        ),
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 4"), "{line}");
    let headers: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    let line = raw_status_line(
        &mock,
        format!("GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n"),
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 4"), "{line}");
    assert_alive(&mock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reversed_chain_of_bulk_ids() {
    let mock = Mock::with(scimcheck::mock::MockConfig {
        bulk_max_operations: 10_000,
        max_payload_bytes: 8 << 20,
        ..Default::default()
    })
    .await;
    // Each group's member is the group the next operation creates, so every operation waits
    // for the one after it; before, each wait rescanned every waiting operation.
    let n = 2000;
    let operations: Vec<Value> = (0..n)
        .map(|i| {
            let members = if i + 1 < n {
                json!([{"value": format!("bulkId:g{}", i + 1)}])
            } else {
                json!([])
            };
            json!({"method": "POST", "bulkId": format!("g{i}"), "path": "/Groups",
                   "data": {"schemas": [GROUP_URN], "displayName": format!("g{i}"), "members": members}})
        })
        .collect();
    let answered = mock
        .post(
            "/Bulk",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                    "Operations": operations}),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    let results = answered.body["Operations"].as_array().expect("results");
    assert_eq!(results.len(), n);
    assert!(results.iter().all(|r| r["status"] == "201"));
    let first = mock
        .query("/Groups", &[("filter", r#"displayName eq "g0""#)])
        .await;
    let second = mock
        .query("/Groups", &[("filter", r#"displayName eq "g1""#)])
        .await;
    assert_eq!(
        first.body["Resources"][0]["members"][0]["value"],
        second.body["Resources"][0]["id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_value_lists_in_patch() {
    let (mock, id) = mock_with_user().await;
    let user = format!("/Users/{id}");
    // Each of these held the tenant's write lock for seconds to minutes when every value was
    // compared with every other.
    let n = 20_000;
    let added: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("{i}@x"), "type": "other"}))
        .collect();
    let patched = mock
        .patch(
            &user,
            json!([{"op": "add", "path": "emails", "value": added}]),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["emails"].as_array().map(Vec::len), Some(n + 2));
    // Adding them again changes nothing: values are compared by `value`.
    let again = mock
        .patch(
            &user,
            json!([{"op": "add", "path": "emails", "value": added}]),
        )
        .await;
    assert_eq!(again.body["emails"].as_array().map(Vec::len), Some(n + 2));
    // Entra's legacy removal of listed values, then removal by filter.
    let listed: Vec<Value> = (0..n / 2)
        .map(|i| json!({"value": format!("{i}@x")}))
        .collect();
    let removed = mock
        .patch(
            &user,
            json!([{"op": "remove", "path": "emails", "value": listed}]),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(
        removed.body["emails"].as_array().map(Vec::len),
        Some(n / 2 + 2)
    );
    let filtered = mock
        .patch(
            &user,
            json!([{"op": "remove", "path": r#"emails[type eq "other"]"#}]),
        )
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    let left: Vec<&str> = filtered.body["emails"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["value"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(left, ["b@example.com", "b@home.example"]);
}

/// The mock's own open connections on its port: the sockets this process holds (a connection
/// still in the kernel's listen backlog holds none) whose local port is the mock's, less the
/// listening one.
fn server_side_connections(port: u16) -> usize {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let tcp = std::fs::read_to_string("/proc/self/net/tcp").expect("/proc/self/net/tcp");
    let local = format!(":{port:04X}");
    tcp.lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.len() > 9 && fields[1].ends_with(&local))
        .filter(|fields| fields[3] != "0A" && inodes.contains(fields[9]))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_dripping_connections_are_capped_and_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mock = Mock::with(MockConfig {
        max_connections: 8,
        answer_timeout: std::time::Duration::from_millis(500),
        ..MockConfig::default()
    })
    .await;
    let authority = mock
        .url("")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("authority")
        .to_owned();
    let port: u16 = authority
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    // Half say nothing; half start a request and never finish it (slowloris).
    let mut hostile = Vec::new();
    for i in 0..32 {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connects");
        if i % 2 == 1 {
            stream
                .write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .expect("writes");
        }
        hostile.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let open = server_side_connections(port);
    assert!((1..=8).contains(&open), "the mock holds {open} connections");
    // Each is closed unanswered in turn, so an ordinary client gets through.
    tokio::time::timeout(std::time::Duration::from_secs(30), assert_alive(&mock))
        .await
        .expect("an ordinary request is answered while hostile connections wait");
    for mut stream in hostile {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            stream.read_to_end(&mut rest),
        )
        .await;
        assert!(read.is_ok(), "a hostile connection is still open");
        assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_patch_operations_are_refused_before_any_is_applied() {
    let (mock, id) = mock_with_user().await;
    let user = format!("/Users/{id}");
    // Each operation on emails walks every value already there: 14,500 of them in 1 MiB kept a
    // worker busy for over a minute.
    let adds = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"op": "add", "path": "emails", "value": [{"value": format!("{i}@x")}]}))
            .collect()
    };
    let refused = mock.patch(&user, adds(1001)).await;
    refused.assert_error(413, None);
    assert!(
        refused.text.contains("at most 1000 operations"),
        "{}",
        refused.text
    );
    assert_eq!(
        mock.get(&user).await.body["emails"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let applied = mock.patch(&user, adds(1000)).await;
    assert_eq!(applied.status, 200, "{}", applied.text);
    assert_eq!(applied.body["emails"].as_array().map(Vec::len), Some(1002));
    // Fewer operations, each filtering a long list: refused by the values they would walk.
    let many: Vec<Value> = (0..14_000)
        .map(|i| json!({"value": format!("m{i}@x")}))
        .collect();
    let mut operations = vec![json!({"op": "add", "path": "emails", "value": many})];
    operations.extend((0..999).map(|i| {
        json!({"op": "add", "path": format!("emails[value eq \"m{i}@x\"].display"), "value": "d"})
    }));
    let refused = mock.patch(&user, Value::Array(operations)).await;
    refused.assert_error(413, None);
    assert!(
        refused.text.contains("attribute values in all"),
        "{}",
        refused.text
    );
    assert_eq!(
        mock.get(&user).await.body["emails"]
            .as_array()
            .map(Vec::len),
        Some(1002)
    );
}

/// A megabyte of cursor and a 100 KB URN as the sort key or an attribute, in a search body
/// (no URI limit to stop them first): each is answered at once, a SCIM error where it is
/// wrong, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_cursor_and_a_100_kb_urn_in_a_search() {
    let (mock, _) = mock_with_user().await;
    let urn = format!("urn:{}:userName", "a".repeat(100_000));
    let cursor = mock
        .post(
            "/Users/.search",
            &json!({"schemas": [SEARCH_URN], "cursor": "A".repeat(1_000_000)}),
        )
        .await;
    cursor.assert_error(400, Some("invalidCursor"));
    for body in [
        json!({"schemas": [SEARCH_URN], "sortBy": urn}),
        json!({"schemas": [SEARCH_URN], "attributes": [urn, urn, urn]}),
        json!({"schemas": [SEARCH_URN], "excludedAttributes": [urn]}),
    ] {
        let answered = mock.post("/Users/.search", &body).await;
        assert!(
            answered.status == 200 || answered.body["scimType"] == "invalidValue",
            "{}",
            answered.text
        );
    }
    assert_alive(&mock).await;
}
