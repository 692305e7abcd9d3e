//! The filter features a service provider may support only in part (RFC 7644 §3.4.2.2, Tables 3
//! and 4): a server that lacks one answers `400 invalidFilter` (Table 9), which is conformant.

use std::collections::BTreeSet;

use super::filter::{CompareOp, Filter};

/// One operator or construct of the filter grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FilterFeature {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
    And,
    Or,
    Not,
    /// `emails[type eq "work"]`
    ValuePath,
}

impl FilterFeature {
    pub const ALL: [FilterFeature; 14] = [
        FilterFeature::Eq,
        FilterFeature::Ne,
        FilterFeature::Co,
        FilterFeature::Sw,
        FilterFeature::Ew,
        FilterFeature::Gt,
        FilterFeature::Ge,
        FilterFeature::Lt,
        FilterFeature::Le,
        FilterFeature::Pr,
        FilterFeature::And,
        FilterFeature::Or,
        FilterFeature::Not,
        FilterFeature::ValuePath,
    ];

    /// The operator as written in a filter; `[]` for a value path.
    pub fn token(self) -> &'static str {
        match self {
            FilterFeature::Eq => "eq",
            FilterFeature::Ne => "ne",
            FilterFeature::Co => "co",
            FilterFeature::Sw => "sw",
            FilterFeature::Ew => "ew",
            FilterFeature::Gt => "gt",
            FilterFeature::Ge => "ge",
            FilterFeature::Lt => "lt",
            FilterFeature::Le => "le",
            FilterFeature::Pr => "pr",
            FilterFeature::And => "and",
            FilterFeature::Or => "or",
            FilterFeature::Not => "not",
            FilterFeature::ValuePath => "[]",
        }
    }

    fn of(op: CompareOp) -> FilterFeature {
        match op {
            CompareOp::Eq => FilterFeature::Eq,
            CompareOp::Ne => FilterFeature::Ne,
            CompareOp::Co => FilterFeature::Co,
            CompareOp::Sw => FilterFeature::Sw,
            CompareOp::Ew => FilterFeature::Ew,
            CompareOp::Gt => FilterFeature::Gt,
            CompareOp::Ge => FilterFeature::Ge,
            CompareOp::Lt => FilterFeature::Lt,
            CompareOp::Le => FilterFeature::Le,
        }
    }
}

/// Every feature a filter uses.
pub fn features(filter: &Filter) -> BTreeSet<FilterFeature> {
    let mut found = BTreeSet::new();
    collect(filter, &mut found);
    found
}

fn collect(filter: &Filter, found: &mut BTreeSet<FilterFeature>) {
    match filter {
        Filter::Compare { op, .. } => {
            found.insert(FilterFeature::of(*op));
        }
        Filter::Present(_) => {
            found.insert(FilterFeature::Pr);
        }
        Filter::ValuePath { filter, .. } => {
            found.insert(FilterFeature::ValuePath);
            collect(filter, found);
        }
        Filter::And(all) => {
            found.insert(FilterFeature::And);
            all.iter().for_each(|f| collect(f, found));
        }
        Filter::Or(any) => {
            found.insert(FilterFeature::Or);
            any.iter().for_each(|f| collect(f, found));
        }
        Filter::Not(inner) => {
            found.insert(FilterFeature::Not);
            collect(inner, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse;

    #[test]
    fn lists_every_feature_a_filter_uses() {
        use FilterFeature::*;
        let cases: &[(&str, &[FilterFeature])] = &[
            (r#"userName eq "a""#, &[Eq]),
            (r#"userName sw "a" and title pr"#, &[Sw, Pr, And]),
            (r#"not (a eq 1 or b gt 2)"#, &[Eq, Gt, Or, Not]),
            (
                r#"emails[type eq "work" and value co "@x"]"#,
                &[Eq, Co, And, ValuePath],
            ),
            (
                r#"a ne 1 and b ew "x" and c ge 1 and d lt 2 and e le 3"#,
                &[Ne, Ew, Ge, Lt, Le, And],
            ),
        ];
        for (text, expected) in cases {
            let filter = parse(text).expect(text);
            let expected: BTreeSet<_> = expected.iter().copied().collect();
            assert_eq!(features(&filter), expected, "{text}");
        }
    }
}
