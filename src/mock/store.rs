//! In-memory resource storage of one tenant. Each tenant sits behind one lock, so every
//! request sees and leaves a consistent state (membership index included).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::LazyLock;

use serde_json::Value;

use super::schema::Kind;
use crate::scim::AttrPath;
use crate::scim::filter::{compared_values, fold_case};

/// A stored resource: its full representation (`id`, `meta` and the write-only `password`
/// included; the derived `groups` of a user excluded) and its version counter.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub seq: u64,
    pub doc: Value,
    pub version: u64,
}

impl Stored {
    pub fn id(&self) -> &str {
        self.doc
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The weak entity tag (RFC 7644 §3.14), also `meta.version`.
    pub fn etag(&self) -> String {
        etag(self.version)
    }
}

pub(crate) fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Attributes (and sub-attributes) every collection indexes: the ones filters select by
/// (`${scope}` is `userName sw`) and identity providers look resources up by, so that a query
/// on a tenant of 100,000 users reads the few that can match instead of scanning them all.
const INDEXED: [(&str, Option<&str>); 4] = [
    ("userName", None),
    ("displayName", None),
    ("externalId", None),
    ("emails", Some("value")),
];

static INDEXED_PATHS: LazyLock<[AttrPath; INDEXED.len()]> = LazyLock::new(|| {
    INDEXED.map(|(name, sub)| AttrPath {
        urn: None,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
});

/// The resources of one type, in creation order, with an id index, a unique-name index and
/// ordered indexes of [`INDEXED`].
#[derive(Debug, Default)]
pub(crate) struct Collection {
    by_seq: BTreeMap<u64, Stored>,
    seq_of: HashMap<String, u64>,
    /// Per attribute of [`INDEXED`]: its value case-folded (see [`fold_case`]) → the creation
    /// sequence numbers of the resources holding it. Ordered, so `sw` is a range; folded, so
    /// it finds a superset of the matches whatever `caseExact` (the filter still decides).
    index: [BTreeMap<String, BTreeSet<u64>>; INDEXED.len()],
    /// Lower-cased unique name (`userName`) → id; caseExact=false makes uniqueness
    /// case-insensitive (RFC 7643 §4.1.1).
    names: HashMap<String, String>,
    /// Last state of deleted resources, kept only for faults that resurrect them.
    deleted: HashMap<String, Value>,
}

impl Collection {
    pub fn get(&self, id: &str) -> Option<&Stored> {
        self.seq_of.get(id).and_then(|seq| self.by_seq.get(seq))
    }

    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    /// All resources in creation order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Stored> {
        self.by_seq.values()
    }

    /// Resources whose creation sequence number is in `range`, in creation order.
    pub fn range(
        &self,
        range: (Bound<u64>, Bound<u64>),
    ) -> impl DoubleEndedIterator<Item = &Stored> {
        self.by_seq.range(range).map(|(_, s)| s)
    }

    /// The resource created as `seq`, if it still exists.
    pub fn at(&self, seq: u64) -> Option<&Stored> {
        self.by_seq.get(&seq)
    }

    /// The creation sequence number of the resource with this id.
    pub fn seq_of(&self, id: &str) -> Option<u64> {
        self.seq_of.get(id).copied()
    }

    /// Stores `stored`, replacing the resource with its id if there is one.
    pub fn insert(&mut self, stored: Stored) {
        self.remove(stored.id());
        self.reindex(&stored, true);
        self.seq_of.insert(stored.id().to_owned(), stored.seq);
        self.by_seq.insert(stored.seq, stored);
    }

    pub fn remove(&mut self, id: &str) -> Option<Stored> {
        let seq = self.seq_of.remove(id)?;
        let removed = self.by_seq.remove(&seq)?;
        self.reindex(&removed, false);
        Some(removed)
    }

    /// The resources where a value of the core attribute `name` (`sub`) folds to `value` (or,
    /// with `prefix`, starts with it folded): a superset of what `eq` (`sw`) matches. `None`
    /// when that attribute is not indexed.
    pub fn lookup(
        &self,
        (name, sub): (&str, Option<&str>),
        value: &str,
        prefix: bool,
    ) -> Option<BTreeSet<u64>> {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let at = INDEXED.iter().position(|(n, s)| {
            same(n, name)
                && match (s, sub) {
                    (Some(s), Some(sub)) => same(s, sub),
                    (s, sub) => s.is_none() && sub.is_none(),
                }
        })?;
        let key = fold_case(value);
        let index = &self.index[at];
        if !prefix {
            return Some(index.get(&key).cloned().unwrap_or_default());
        }
        Some(
            index
                .range::<str, _>((Bound::Included(key.as_str()), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(&key))
                .flat_map(|(_, seqs)| seqs.iter().copied())
                .collect(),
        )
    }

    /// Adds `stored` to the attribute indexes, or takes it out.
    fn reindex(&mut self, stored: &Stored, add: bool) {
        for (index, path) in self.index.iter_mut().zip(INDEXED_PATHS.iter()) {
            for value in compared_values(&stored.doc, path).filter_map(Value::as_str) {
                let key = fold_case(value);
                if add {
                    index.entry(key).or_default().insert(stored.seq);
                } else if let Some(seqs) = index.get_mut(&key) {
                    seqs.remove(&stored.seq);
                    if seqs.is_empty() {
                        index.remove(&key);
                    }
                }
            }
        }
    }

    pub fn id_for_name(&self, name: &str) -> Option<&str> {
        self.names.get(&name.to_lowercase()).map(String::as_str)
    }

    pub fn set_name(&mut self, name: &str, id: &str) {
        self.names.insert(name.to_lowercase(), id.to_owned());
    }

    pub fn release_name(&mut self, name: &str) {
        self.names.remove(&name.to_lowercase());
    }

    pub fn tombstone(&mut self, id: &str, doc: Value) {
        self.deleted.insert(id.to_owned(), doc);
    }

    pub fn tombstoned(&self, id: &str) -> Option<&Value> {
        self.deleted.get(id)
    }
}

/// One tenant's data.
#[derive(Debug, Default)]
pub(crate) struct Tenant {
    pub users: Collection,
    pub groups: Collection,
    /// Member id (user or group) → ids of the groups listing it, to derive `User.groups` and
    /// to drop memberships on delete without scanning every group.
    pub member_of: HashMap<String, BTreeSet<String>>,
    next_seq: u64,
}

impl Tenant {
    pub fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    pub fn collection_mut(&mut self, kind: Kind) -> &mut Collection {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    /// The next creation sequence number, shared by both types so a root search can merge
    /// them in creation order.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The type of the resource with this id, if it exists.
    pub fn kind_of(&self, id: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|&k| self.collection(k).get(id).is_some())
    }
}
