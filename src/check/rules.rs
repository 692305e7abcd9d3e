//! Named rules (interim: the rule set lands with the schemas branch).

use serde_json::Value;

pub struct RuleInput<'a> {
    pub status: u16,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a Value>,
    pub request_method: &'a str,
    pub request_url: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub enum Rule {}

impl Rule {
    pub const ALL: &'static [Rule] = &[];
    pub fn name(self) -> &'static str {
        match self {}
    }
    pub fn description(self) -> &'static str {
        match self {}
    }
    pub fn rfc(self) -> &'static str {
        match self {}
    }
    pub fn from_name(_: &str) -> Option<Rule> {
        None
    }
    pub fn check(self, _: &RuleInput<'_>) -> Vec<String> {
        match self {}
    }
}
