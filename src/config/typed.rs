//! The typed read: serde_yaml deserializes the raw structs (`raw.rs`) from the file's
//! own text, through an adaptor that walks the marks pass's tree (`marks.rs`) alongside.
//!
//! The adaptor does two things, and changes nothing else serde_yaml does (every value,
//! every message is serde_yaml's own):
//!
//! - it passes over the mapping entries the marks pass found to be errors in themselves
//!   (a duplicate or unknown key, a key that is not a name), which are already reported,
//!   so the rest of the file is read and checked in the same run;
//! - it knows, at every moment, which node of the marks it is reading, so a serde error
//!   is located at that node (its path, the length of its token), not by reading the
//!   error's text.
//!
//! Both YAML readers read the same document (the marks pass refuses the characters they
//! take differently), so the n-th entry serde_yaml reads in a mapping is the n-th entry
//! the marks pass counted there.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::marks::{Marks, NodeId, NodeKind};
use super::raw::RawConfig;

/// Where the typed read failed: the node being read, and whether the read was there
/// exactly (not inside the copy an alias makes, whose nodes the marks do not hold).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Failure {
    pub node: Option<NodeId>,
    pub exact: bool,
}

/// Deserializes `text`, whose marks are `marks`. On failure, serde_yaml's error and where
/// the read was when it failed.
///
/// When the marks pass found no error (`clean`), the big sections it can read are taken
/// from the marks and serde_yaml reads only the rest, with those sections cut out
/// (`fast.rs`); the result is the same as reading the whole text. When serde_yaml fails
/// on the rest, the whole text is read, so an error is always located in the file.
pub(crate) fn read(
    text: &str,
    marks: &Marks,
    clean: bool,
) -> Result<RawConfig, (serde_yaml::Error, Failure)> {
    if clean {
        if let Some(fast) = super::fast::sections(text, marks) {
            let rest = super::fast::cut(text, &fast.ranges);
            if let Ok(mut raw) = serde_yaml::from_str::<RawConfig>(&rest) {
                if fast.fits(&raw) {
                    fast.fill(&mut raw);
                    return Ok(raw);
                }
            }
        }
    }
    let failed = Cell::new(None);
    let root = marks.root();
    let place = Place {
        marks,
        failed: &failed,
        at: root,
        shape: root,
        in_copy: false,
    };
    serde::Deserialize::deserialize(Tracked {
        inner: serde_yaml::Deserializer::from_str(text),
        place,
    })
    .map_err(|e| {
        let failure = failed.get().unwrap_or(Failure {
            node: root,
            exact: true,
        });
        (e, failure)
    })
}

/// True when serde_yaml parses `text` as YAML, whatever it holds.
pub(crate) fn parses(text: &str) -> bool {
    serde_yaml::from_str::<IgnoredAny>(text).is_ok()
}

/// The node being read.
#[derive(Clone, Copy)]
struct Place<'m> {
    marks: &'m Marks,
    /// The first failure seen (the innermost: an error is seen first where it is made).
    failed: &'m Cell<Option<Failure>>,
    /// The node to report: the one at this path, or for a value inside an alias's copy
    /// the alias.
    at: Option<NodeId>,
    /// The node whose entries are being read: `at`, or for an alias the node its anchor
    /// names. `None` when the marks hold no such node.
    shape: Option<NodeId>,
    /// Inside the copy an alias makes: `at` is the alias, not the node being read.
    in_copy: bool,
}

impl<'m> Place<'m> {
    /// Child `child` (a node of the marks under `shape`), or none known.
    fn child(self, child: Option<NodeId>) -> Place<'m> {
        let in_copy = self.in_copy || self.shape != self.at;
        let shape = child.map(|c| self.marks.anchored(c));
        Place {
            at: if in_copy { self.at } else { child.or(self.at) },
            shape,
            in_copy: in_copy || child.is_none(),
            ..self
        }
    }

    /// Entry `index` of the sequence or mapping being read.
    fn nth(self, index: usize) -> Place<'m> {
        let child = self
            .shape
            .filter(|&s| {
                matches!(
                    self.marks.node(s).kind,
                    NodeKind::Sequence | NodeKind::Mapping
                )
            })
            .and_then(|s| self.marks.children(s).get(index).copied());
        self.child(child)
    }

    /// Notes a failure here, unless one further in was noted first.
    fn watch<T, E>(self, r: Result<T, E>) -> Result<T, E> {
        if r.is_err() && self.failed.get().is_none() {
            self.failed.set(Some(Failure {
                node: self.at,
                exact: !self.in_copy,
            }));
        }
        r
    }
}

/// A deserializer reading the node at `place`.
struct Tracked<'m, D> {
    inner: D,
    place: Place<'m>,
}

/// A visitor of the node at `place`.
struct Wrap<'m, V> {
    inner: V,
    place: Place<'m>,
}

/// A seed of the node at `place`.
struct Seed<'m, S> {
    inner: S,
    place: Place<'m>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Tracked {
            inner: d,
            place: self.place,
        })
    }
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let place = self.place;
            place.watch(self.inner.$method($($arg,)* Wrap { inner: visitor, place }))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tracked<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<E: de::Error>(self, $($arg: $ty),*) -> Result<V::Value, E> {
            self.inner.$method($($arg),*)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(v: bool);
        visit_i8(v: i8);
        visit_i16(v: i16);
        visit_i32(v: i32);
        visit_i64(v: i64);
        visit_i128(v: i128);
        visit_u8(v: u8);
        visit_u16(v: u16);
        visit_u32(v: u32);
        visit_u64(v: u64);
        visit_u128(v: u128);
        visit_f32(v: f32);
        visit_f64(v: f64);
        visit_char(v: char);
        visit_str(v: &str);
        visit_borrowed_str(v: &'de str);
        visit_string(v: String);
        visit_bytes(v: &[u8]);
        visit_borrowed_bytes(v: &'de [u8]);
        visit_byte_buf(v: Vec<u8>);
        visit_none();
        visit_unit();
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Tracked {
            inner: d,
            place: self.place,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Tracked {
            inner: d,
            place: self.place,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Seq {
            inner: seq,
            place: self.place,
            next: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Map {
            inner: map,
            place: self.place,
            entry: 0,
            kept: 0,
            value: self.place,
        })
    }

    /// An enum (`target: postgres`) is read whole at its node: an error in it is noted
    /// there by the deserializer that read it.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

/// The entries of a sequence, each read at its node.
struct Seq<'m, A> {
    inner: A,
    place: Place<'m>,
    next: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let place = self.place.nth(self.next);
        self.next += 1;
        self.inner.next_element_seed(Seed { inner: seed, place })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The entries of a mapping, each value read at its node; the entries the marks pass
/// marked as errors are passed over. A key is read at the mapping, as serde_yaml
/// reports it.
struct Map<'m, A> {
    inner: A,
    place: Place<'m>,
    /// Entries read or passed over so far, as the marks pass counts them.
    entry: u32,
    /// Entries read so far: the marks hold the entries not passed over, in order.
    kept: usize,
    /// Where the value of the last key read is.
    value: Place<'m>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let marks = self.place.marks;
        while let Some(map) = self.place.shape {
            if !marks.is_skipped(map, self.entry) {
                break;
            }
            if self.inner.next_key::<IgnoredAny>()?.is_none() {
                return Ok(None);
            }
            self.inner.next_value::<IgnoredAny>()?;
            self.entry += 1;
        }
        self.entry += 1;
        self.value = self.place.nth(self.kept);
        self.kept += 1;
        self.inner.next_key_seed(Seed {
            inner: seed,
            place: self.place,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Seed {
            inner: seed,
            place: self.value,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}
