//! Response checks: JSON Schemas ([`schema`]) and the named rules JSON Schema cannot express ([`rules`]).

pub mod rules;
pub mod schema;
