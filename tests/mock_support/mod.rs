//! Shared helpers for the mock server's integration tests: a started server plus a client
//! that speaks to it over real HTTP. Included by the other `mock_*` test files with
//! `#[path = "mock_support.rs"] mod support;`; each of them uses a different subset, hence
//! the `dead_code` allowance.
#![allow(dead_code)]

use std::net::SocketAddr;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use scimcheck::mock::{Fault, MockConfig, MockServer};
use serde_json::{Value, json};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A running mock and a client authenticated as tenant A.
pub struct Mock {
    pub server: MockServer,
    pub client: reqwest::Client,
    pub token: String,
}

/// A response, read completely.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or `Null` when it is not JSON.
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 7644 §3.12 error with this status and scimType.
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["schemas"], json!([ERROR_URN]), "{}", self.text);
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "{}",
            self.text
        );
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.text);
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            self.text
        );
    }

    /// The ids of a ListResponse page.
    pub fn ids(&self) -> Vec<String> {
        self.body["Resources"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|u| u["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The userNames of a ListResponse page.
    pub fn user_names(&self) -> Vec<String> {
        self.body["Resources"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|u| u["userName"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("client builds")
}

impl Mock {
    pub async fn start() -> Mock {
        Mock::with(MockConfig::default()).await
    }

    pub async fn with_faults(faults: &[Fault]) -> Mock {
        Mock::with(MockConfig::with_faults(faults.iter().copied())).await
    }

    pub async fn with(config: MockConfig) -> Mock {
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let server = MockServer::start(config, addr)
            .await
            .expect("server starts");
        let token = server.credentials().scim_token.clone();
        Mock {
            server,
            client: client(),
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A request to `path` (relative to the SCIM base) with tenant A's token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    pub async fn send(builder: RequestBuilder) -> Resp {
        let response = builder.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body is readable");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        Mock::send(self.req(Method::GET, path)).await
    }

    /// GET with query parameters, URL-encoded.
    pub async fn query(&self, path: &str, params: &[(&str, &str)]) -> Resp {
        Mock::send(self.req(Method::GET, path).query(params)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        Mock::send(self.req(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        Mock::send(self.req(Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        Mock::send(self.req(Method::PUT, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, operations: Value) -> Resp {
        let body = json!({"schemas": [PATCH_URN], "Operations": operations});
        Mock::send(self.req(Method::PATCH, path).json(&body)).await
    }

    /// Creates a user and returns its representation.
    pub async fn user(&self, user_name: &str) -> Value {
        self.user_with(json!({"userName": user_name})).await
    }

    /// Creates a user from `fields` plus the core schema.
    pub async fn user_with(&self, mut fields: Value) -> Value {
        fields["schemas"] = json!([USER_URN]);
        let created = self.post("/Users", &fields).await;
        assert_eq!(created.status, 201, "{}", created.text);
        created.body
    }

    /// Creates a group with these member ids.
    pub async fn group(&self, name: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let created = self
            .post(
                "/Groups",
                &json!({"schemas": [GROUP_URN], "displayName": name, "members": members}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        created.body
    }
}

pub fn id(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("resource has an id")
        .to_owned()
}
