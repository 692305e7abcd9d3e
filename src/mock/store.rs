//! In-memory resource storage of one tenant. Each tenant sits behind one lock, so every
//! request sees and leaves a consistent state (membership index included).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use serde_json::Value;

use super::schema::Kind;

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

/// The resources of one type, in creation order, with an id index and a unique-name index.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    by_seq: BTreeMap<u64, Stored>,
    seq_of: HashMap<String, u64>,
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

    /// Resources created at or after `seq`, in creation order.
    pub fn starting_at(&self, seq: u64) -> impl Iterator<Item = &Stored> {
        self.by_seq.range(seq..).map(|(_, s)| s)
    }

    /// Resources created before `seq`, newest first.
    pub fn before_seq(&self, seq: u64) -> impl Iterator<Item = &Stored> {
        self.by_seq
            .range((Bound::Unbounded, Bound::Excluded(seq)))
            .rev()
            .map(|(_, s)| s)
    }

    pub fn insert(&mut self, stored: Stored) {
        self.seq_of.insert(stored.id().to_owned(), stored.seq);
        self.by_seq.insert(stored.seq, stored);
    }

    pub fn remove(&mut self, id: &str) -> Option<Stored> {
        let seq = self.seq_of.remove(id)?;
        self.by_seq.remove(&seq)
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
