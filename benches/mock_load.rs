//! Load benchmark of the embedded mock over loopback: loads users through bulk requests,
//! then reports requests per second for GET by id and for filtered lists, at 10,000 users
//! and again at 100,000. Every loop is bounded; nothing leaves 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use scimcheck::mock::{MockConfig, MockServer};
use serde_json::{Value, json};

const CONCURRENCY: usize = 16;

struct Bench {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Bench {
    async fn json(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("answered");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.expect("JSON")
    }

    /// Creates users `from..to` with bulk requests of 100 operations.
    async fn load(&self, from: usize, to: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(to - from);
        for chunk_start in (from..to).step_by(100) {
            let operations: Vec<Value> = (chunk_start..(chunk_start + 100).min(to))
                .map(|i| {
                    json!({
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": format!("b{i}"),
                        "data": {
                            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName": format!("user{i:06}"),
                            "name": {"givenName": "Load", "familyName": format!("Family{}", i % 97)},
                            "emails": [{"value": format!("user{i}@example.com"), "type": "work", "primary": true}],
                            "active": i % 10 != 0
                        }
                    })
                })
                .collect();
            let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations});
            let answer = self
                .json(self.client.post(format!("{}/Bulk", self.base)).json(&body))
                .await;
            for op in answer["Operations"].as_array().into_iter().flatten() {
                let location = op["location"].as_str().unwrap_or_default();
                ids.push(location.rsplit('/').next().unwrap_or_default().to_owned());
            }
        }
        ids
    }
}

/// Runs `total` requests built by `url(i)` with `CONCURRENCY` workers; returns requests/s.
async fn rate(
    bench: &Arc<Bench>,
    total: usize,
    url: Arc<dyn Fn(usize) -> String + Send + Sync>,
) -> f64 {
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..CONCURRENCY {
        let bench = bench.clone();
        let url = url.clone();
        workers.push(tokio::spawn(async move {
            for i in (worker..total).step_by(CONCURRENCY) {
                bench.json(bench.client.get(url(i))).await;
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker finished");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn report(bench: &Arc<Bench>, ids: &Arc<Vec<String>>, users: usize) {
    let base = bench.base.clone();
    let by_id = {
        let (base, ids) = (base.clone(), ids.clone());
        Arc::new(move |i: usize| format!("{base}/Users/{}", ids[(i * 7919) % ids.len()]))
    };
    let by_name = {
        let base = base.clone();
        Arc::new(move |i: usize| {
            format!(
                "{base}/Users?filter=userName%20eq%20%22USER{:06}%22",
                (i * 7919) % users
            )
        })
    };
    let scan = {
        let base = base.clone();
        Arc::new(move |i: usize| {
            format!(
                "{base}/Users?filter=name.familyName%20eq%20%22family{}%22%20and%20active%20eq%20true&count=20",
                i % 97
            )
        })
    };
    let deep_page = {
        let base = base.clone();
        Arc::new(move |i: usize| {
            format!("{base}/Users?startIndex={}&count=50", users / 2 + i % 100)
        })
    };
    println!("users: {users}");
    println!(
        "  GET /Users/{{id}}                         {:>9.0} req/s",
        rate(bench, 4000, by_id).await
    );
    println!(
        "  GET /Users?filter=userName eq (indexed)  {:>9.0} req/s",
        rate(bench, 4000, by_name).await
    );
    println!(
        "  GET /Users?filter=familyName+active scan {:>9.0} req/s",
        rate(bench, 400, scan).await
    );
    println!(
        "  GET /Users?startIndex=mid&count=50       {:>9.0} req/s",
        rate(bench, 400, deep_page).await
    );
    let started = Instant::now();
    let mut pages = 0;
    let mut cursor = String::new();
    while pages < 50 {
        let page = bench
            .json(
                bench
                    .client
                    .get(format!("{base}/Users"))
                    .query(&[("cursor", cursor.as_str()), ("count", "100")]),
            )
            .await;
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    println!(
        "  cursor walk, 100 per page               {:>9.0} pages/s",
        f64::from(pages) / started.elapsed().as_secs_f64()
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let server = MockServer::start(MockConfig::default(), addr)
            .await
            .expect("server starts");
        let bench = Arc::new(Bench {
            client: reqwest::Client::builder().build().expect("client"),
            base: server.base_url().to_owned(),
            token: server.credentials().scim_token.clone(),
        });
        let started = Instant::now();
        let mut ids = bench.load(0, 10_000).await;
        println!(
            "loaded 10,000 users in {:.2}s (bulk, 100 per request)",
            started.elapsed().as_secs_f64()
        );
        report(&bench, &Arc::new(ids.clone()), 10_000).await;
        let started = Instant::now();
        ids.extend(bench.load(10_000, 100_000).await);
        println!(
            "loaded 90,000 more users in {:.2}s",
            started.elapsed().as_secs_f64()
        );
        report(&bench, &Arc::new(ids), 100_000).await;
        server.shutdown().await;
    });
}
