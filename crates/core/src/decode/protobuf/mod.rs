//! Protobuf schemas from the registry, and their messages made readable.
//!
//! A registry serves a Protobuf schema as `.proto` text, with the schemas it imports as
//! references. [`ProtoSchema::compile`] compiles it with protox (the imports from the
//! references, Google's well-known types such as `google/protobuf/timestamp.proto` from protox
//! itself) into prost-reflect descriptors, and plans every message once ([`plan`]). A payload
//! names its message type with a message-index array ([`index`]); [`json`] writes the message
//! as JSON text in one pass.

use std::collections::HashMap;
use std::sync::Arc;

use prost_reflect::{FileDescriptor, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

pub mod apicurio;
pub mod index;
pub mod json;
#[cfg(any(test, feature = "protobuf-oracle"))]
pub mod oracle;
mod plan;
mod wire;

pub use index::{IndexError, IndexPath};
pub use json::MAX_VALUES;
pub use wire::{MAX_DEPTH, ProtoError};

/// The name the schema itself is compiled under: a registry names only the schemas it imports
/// (by their import paths), so it takes one no import uses.
const ROOT: &str = "kafka-merge-purge/registry-schema.proto";

/// A compiled Protobuf schema: every message planned, and the messages its text declares by
/// their message-index paths.
pub struct ProtoSchema {
    plans: plan::Plans,
    /// Declared messages (map entries and groups left out, as Confluent counts them) by path.
    paths: HashMap<Vec<u32>, usize>,
    /// The first message of the file: the path `[0]` that nearly every payload names.
    first: Option<usize>,
    /// How many top-level messages the file declares, for errors.
    top_level: usize,
    file: FileDescriptor,
}

impl std::fmt::Debug for ProtoSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtoSchema")
            .field("messages", &self.paths.len())
            .finish_non_exhaustive()
    }
}

/// The imports of a schema: `.proto` text by import path.
pub type Imports = HashMap<String, String>;

struct ImportResolver(Imports, String);

impl FileResolver for ImportResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == ROOT {
            return File::from_source(name, &self.1);
        }
        match self.0.get(name) {
            Some(source) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

impl ProtoSchema {
    /// Compiles `schema`, importing from `imports` and Google's well-known types.
    ///
    /// # Errors
    /// Why the text does not compile (a syntax error, an import that is neither a reference
    /// nor a well-known type, an unknown type), on one line.
    pub fn compile(schema: &str, imports: &Imports) -> Result<Self, String> {
        let mut resolver = ChainFileResolver::new();
        resolver.add(ImportResolver(imports.clone(), schema.to_owned()));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler
            .open_file(ROOT)
            .map_err(|error| one_line(&error.to_string()))?;
        let pool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(ROOT)
            .ok_or_else(|| "the compiled schema is missing".to_owned())?;
        let plans = plan::Plans::new(&pool);
        let mut paths = HashMap::new();
        let top: Vec<MessageDescriptor> = file.messages().collect();
        for (i, message) in top.iter().enumerate() {
            declared(
                message,
                &[u32::try_from(i).unwrap_or(u32::MAX)],
                &plans,
                &mut paths,
            );
        }
        let first = paths.get([0_u32].as_slice()).copied();
        Ok(Self {
            plans,
            paths,
            first,
            top_level: top.len(),
            file,
        })
    }

    /// The message type at `path`.
    ///
    /// # Errors
    /// When the schema declares no message there.
    pub fn message(&self, path: &IndexPath) -> Result<Message<'_>, String> {
        let found = match path {
            IndexPath::First => self.first,
            IndexPath::Path(path) => self.paths.get(path.as_slice()).copied(),
        };
        let index = found.ok_or_else(|| {
            format!(
                "message index {path} is not in the schema ({} top-level message(s))",
                self.top_level
            )
        })?;
        Ok(Message {
            schema: self,
            index,
        })
    }

    /// The message type the schema declares under `name`: its full name
    /// (`com.acme.Order.Line`), or a name that only one of its message types ends with
    /// (`Order`, `Order.Line`), as Apicurio's message-type header gives it.
    ///
    /// # Errors
    /// When no message type of the schema has that name, or several do.
    pub fn message_named(&self, name: &str) -> Result<Message<'_>, String> {
        // The schema's own message types, each at one path.
        let full = |index: &&usize| self.plans.messages.get(**index).map(|plan| &*plan.name);
        let suffix = format!(".{name}");
        let exact = self.paths.values().find(|index| full(index) == Some(name));
        let mut ending = self
            .paths
            .values()
            .filter(|index| full(index).is_some_and(|full| full.ends_with(&suffix)));
        let index = match (exact, ending.next(), ending.next()) {
            (Some(index), _, _) | (None, Some(index), None) => *index,
            (None, None, _) => {
                return Err(format!(
                    "the schema declares no message type named {name:?}"
                ));
            }
            (None, Some(_), Some(_)) => {
                return Err(format!(
                    "{} message types of the schema are named {name:?}",
                    2 + ending.count()
                ));
            }
        };
        Ok(Message {
            schema: self,
            index,
        })
    }

    /// The compiled file, for the tests' oracle.
    #[must_use]
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }
}

/// One message type of a schema.
#[derive(Clone, Copy)]
pub struct Message<'a> {
    schema: &'a ProtoSchema,
    index: usize,
}

impl Message<'_> {
    /// Its full name (`com.acme.Order.Line`), shared.
    #[must_use]
    pub fn name(&self) -> Arc<str> {
        self.schema
            .plans
            .messages
            .get(self.index)
            .map_or_else(|| Arc::from(""), |plan| Arc::clone(&plan.name))
    }

    /// `bytes` as this message, in compact JSON text.
    ///
    /// # Errors
    /// [`ProtoError`] when they are not such a message, or one beyond the limits.
    pub fn to_json_text(&self, bytes: &[u8]) -> Result<String, ProtoError> {
        json::to_json_text(&self.schema.plans, self.index, bytes)
    }
}

/// Notes `message` at `path`, then the messages it declares (not its map entries or groups).
fn declared(
    message: &MessageDescriptor,
    path: &[u32],
    plans: &plan::Plans,
    paths: &mut HashMap<Vec<u32>, usize>,
) {
    if let Some(&index) = plans.by_name.get(message.full_name()) {
        paths.insert(path.to_vec(), index);
    }
    let groups: Vec<String> = message
        .fields()
        .filter(prost_reflect::FieldDescriptor::is_group)
        .filter_map(|field| field.kind().as_message().map(|m| m.full_name().to_owned()))
        .collect();
    let nested = message
        .child_messages()
        .filter(|child| !child.is_map_entry() && !groups.iter().any(|g| g == child.full_name()));
    for (i, child) in nested.enumerate() {
        let mut inner = path.to_vec();
        inner.push(u32::try_from(i).unwrap_or(u32::MAX));
        declared(&child, &inner, plans, paths);
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
