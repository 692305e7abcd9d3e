//! SCIM model pieces shared by the harness and the embedded mock server: schema URNs, the error
//! message shape (RFC 7644 §3.12) and the filter / attribute-path grammar (RFC 7644 §3.4.2.2, §3.5.2).

pub mod attr;
pub mod error;
pub mod filter;
pub mod operators;
pub mod path;
pub mod urn;

pub use attr::AttrPath;
pub use error::{ScimErrorBody, ScimType};
pub use filter::{CompValue, CompareOp, Filter, FilterError};
pub use operators::FilterFeature;
pub use path::{PatchPath, PathError};
