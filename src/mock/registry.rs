//! One macro for every kind of named mock behaviour (faults, variations): a single list makes
//! the enum and its name / clause / description tables, so they can never drift apart.

/// Declares `$kind` with `ALL`, `name`, `rfc`, `description` and `from_name` from one list of
/// `Variant => "kebab-name", "RFC clause", "description";`.
macro_rules! named_behaviours {
    (
        $(#[$meta:meta])*
        $kind:ident {
            $($variant:ident => $name:literal, $rfc:literal, $description:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $kind {
            $(
                #[doc = $description]
                $variant,
            )*
        }

        impl $kind {
            /// Every one, in declaration order.
            pub const ALL: &'static [$kind] = &[$($kind::$variant),*];

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $($kind::$variant => $name),* }
            }

            /// One line: what the server does.
            pub fn description(self) -> &'static str {
                match self { $($kind::$variant => $description),* }
            }

            /// The specification section that forbids or allows it, e.g. `RFC 7644 §3.12`.
            pub fn rfc(self) -> &'static str {
                match self { $($kind::$variant => $rfc),* }
            }

            /// Looks one up by its kebab-case name.
            pub fn from_name(name: &str) -> Option<$kind> {
                $kind::ALL.iter().copied().find(|v| v.name() == name)
            }
        }
    };
}

pub(crate) use named_behaviours;

/// Checks a registry: unique kebab-case names that round-trip, a clause and a description each.
#[cfg(test)]
pub(crate) fn check_registry(
    entries: &[(&'static str, &'static str, &'static str, bool)],
    unknown_is_none: bool,
) {
    let mut seen = std::collections::HashSet::new();
    for &(name, rfc, description, round_trips) in entries {
        assert!(seen.insert(name), "duplicate name {name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name} is not kebab-case"
        );
        assert!(round_trips, "{name} does not round-trip through from_name");
        assert!(rfc.starts_with("RFC "), "{name}: {rfc}");
        assert!(!description.is_empty(), "{name} has no description");
    }
    assert!(unknown_is_none, "an unknown name resolved");
}
