//! Stage 1: case files (YAML) → typed, validated cases.

pub mod generate;
pub mod load;
pub mod model;
pub mod template;

pub use load::{Case, CaseDiagnostic, CaseError, CaseSource, KnownNames};
pub use model::{Auth, Capability, CaseFile, Level, Method, Step};
