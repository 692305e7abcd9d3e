//! Named rules.
