//! Per-project defaults from the crate's `Cargo.toml`:
//!
//! ```toml
//! [package.metadata.wasm-heap]
//! pages = "16..=16384"   # or an integer N, meaning at most N pages (as `pages = N`)
//! classes = [16, 32, 64]
//! lock = "adaptive"
//! cache = 32
//! cache_bytes = 262144
//! checked = false
//! profile = false
//! ```
//!
//! Every value is checked by the same rules as the attribute's. A malformed table is a compile
//! error at the attribute naming the key and the `Cargo.toml` path.

use std::path::{Path, PathBuf};

use proc_macro2::Span;
use toml::Value;
use wasm_heap_config::LockKind;

use crate::ast::PagesArg;
use crate::message;
use crate::valid::{self, Int, PagesValue, Part, Problem};

/// The keys `[package.metadata.wasm-heap]` accepts (`crate` is attribute-only).
pub const KEYS: [&str; 7] =
    ["pages", "classes", "lock", "cache", "cache_bytes", "checked", "profile"];

/// The table's values, each already valid; `None` where the table says nothing.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// The `Cargo.toml` read, if there was one (the expansion makes rustc track it).
    pub manifest: Option<PathBuf>,
    pub pages: Option<(u32, u32)>,
    pub classes: Option<Vec<u32>>,
    pub lock: Option<LockKind>,
    pub cache: Option<u32>,
    pub cache_bytes: Option<u32>,
    pub checked: Option<bool>,
    pub profile: Option<bool>,
}

impl Metadata {
    /// Reads `$CARGO_MANIFEST_DIR/Cargo.toml`. No manifest (rustc run by hand) means no metadata.
    pub fn load(errors: &mut Vec<syn::Error>) -> Metadata {
        let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            return Metadata::default();
        };
        let path = Path::new(&dir).join("Cargo.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => Metadata::parse(&text, &path, errors),
            Err(_) => Metadata::default(),
        }
    }

    /// An error about the table (`key` empty) or one of its keys, at the attribute, naming
    /// the manifest.
    pub fn error(&self, key: &str, message: &str) -> syn::Error {
        let key = if key.is_empty() { String::new() } else { format!(" key `{key}`") };
        let path = self.manifest.as_deref().unwrap_or(Path::new("Cargo.toml"));
        syn::Error::new(
            Span::call_site(),
            format!("invalid `[package.metadata.wasm-heap]`{key} in {}: {message}", path.display()),
        )
    }

    /// Parses a manifest's text; `path` is only for messages and tracking.
    pub fn parse(text: &str, path: &Path, errors: &mut Vec<syn::Error>) -> Metadata {
        let mut meta = Metadata { manifest: Some(path.to_owned()), ..Metadata::default() };
        let fail = |errors: &mut Vec<syn::Error>, meta: &Metadata, key: &str, message: &str| {
            errors.push(meta.error(key, message));
        };
        let table = match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                fail(errors, &meta, "", &format!("not valid TOML: {}", e.message()));
                return meta;
            }
        };
        let Some(section) =
            table.get("package").and_then(|p| p.get("metadata")).and_then(|m| m.get("wasm-heap"))
        else {
            return meta;
        };
        let Some(section) = section.as_table() else {
            fail(errors, &meta, "", "expected a table of settings");
            return meta;
        };
        for (key, value) in section {
            let result = match key.as_str() {
                "pages" => pages(value).map(|v| meta.pages = Some(v)),
                "classes" => classes(value).map(|v| meta.classes = Some(v)),
                "lock" => lock(value).map(|v| meta.lock = Some(v)),
                "cache" => cache(value).map(|v| meta.cache = Some(v)),
                "cache_bytes" => cache_bytes(value).map(|v| meta.cache_bytes = Some(v)),
                "checked" => flag(value).map(|b| meta.checked = Some(b)),
                "profile" => flag(value).map(|b| meta.profile = Some(b)),
                _ => Err(format!("unknown key; expected one of {}", message::list(&KEYS))),
            };
            if let Err(message) = result {
                fail(errors, &meta, key, &message);
            }
        }
        meta
    }
}

fn flag(value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "expected `true` or `false`".to_owned())
}

const TOML_PAGES_FORMS: &str =
    "expected an integer N (at most N pages) or a string \"MIN..=MAX\" or \"MIN..MAX\"";

fn pages(value: &Value) -> Result<(u32, u32), String> {
    let written = match value {
        Value::Integer(n) => PagesValue { min: None, max: Int::of_toml(*n), half_open: false },
        Value::String(s) => {
            let arg: PagesArg =
                syn::parse_str(s).map_err(|_| format!("{TOML_PAGES_FORMS} (got {s:?})"))?;
            PagesValue {
                min: arg.min.as_ref().map(Int::of_literal),
                max: Int::of_literal(&arg.max),
                half_open: arg.half_open(),
            }
        }
        _ => return Err(TOML_PAGES_FORMS.to_owned()),
    };
    valid::pages(&written).map_err(|p| p.message)
}

fn classes(value: &Value) -> Result<Vec<u32>, String> {
    let expected = "expected an array of block sizes in bytes, e.g. [16, 32, 64]";
    let array = value.as_array().ok_or(expected)?;
    let mut sizes = Vec::with_capacity(array.len());
    for (i, v) in array.iter().enumerate() {
        match v.as_integer() {
            Some(n) => sizes.push(Int::of_toml(n)),
            None => return Err(format!("{expected} (entry {i} is `{v:?}`)")),
        }
    }
    valid::classes(&sizes).map_err(|Problem { message, part }| match part {
        Part::Class(i) => format!("{message} (entry {i})"),
        Part::Whole | Part::Min | Part::Max => message,
    })
}

fn lock(value: &Value) -> Result<LockKind, String> {
    let name =
        value.as_str().ok_or_else(|| format!("expected a string, {}", message::one_of_locks()))?;
    valid::lock(name).map_err(|p| p.message)
}

fn cache(value: &Value) -> Result<u32, String> {
    let n = value
        .as_integer()
        .ok_or_else(|| format!("expected an integer: {}", message::cache_allowed()))?;
    valid::cache(&Int::of_toml(n)).map_err(|p| p.message)
}

fn cache_bytes(value: &Value) -> Result<u32, String> {
    let n = value
        .as_integer()
        .ok_or_else(|| format!("expected an integer: {}", message::cache_bytes_allowed()))?;
    valid::cache_bytes(&Int::of_toml(n)).map_err(|p| p.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Metadata, Vec<String>) {
        let mut errors = Vec::new();
        let meta = Metadata::parse(text, Path::new("/app/Cargo.toml"), &mut errors);
        (meta, errors.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn reads_every_key() {
        let (meta, errors) = parse(
            r#"
            [package]
            name = "app"
            [package.metadata.wasm-heap]
            pages = "16..=1024"
            classes = [16, 32, 64]
            lock = "park"
            cache = 4
            checked = true
            "#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(meta.pages, Some((16, 1024)));
        assert_eq!(meta.classes, Some(vec![16, 32, 64]));
        assert_eq!(meta.lock, Some(LockKind::Park));
        assert_eq!(meta.cache, Some(4));
        assert_eq!(meta.checked, Some(true));
    }

    #[test]
    fn integer_pages_is_a_maximum() {
        let (meta, errors) = parse("[package.metadata.wasm-heap]\npages = 256\n");
        assert!(errors.is_empty());
        assert_eq!(meta.pages, Some((0, 256)));
        let (meta, _) = parse("[package.metadata.wasm-heap]\npages = \"1..9\"\n");
        assert_eq!(meta.pages, Some((1, 8)));
    }

    #[test]
    fn no_section_no_settings() {
        let (meta, errors) = parse("[package]\nname = \"x\"\n");
        assert!(errors.is_empty());
        assert!(meta.pages.is_none() && meta.lock.is_none());
    }

    #[test]
    fn bad_values_name_key_and_path() {
        let (meta, errors) = parse(
            r#"
            [package.metadata.wasm-heap]
            lock = "mutex"
            classes = [16, 8]
            pages = [1, 2]
            cache = 99
            checked = "yes"
            colour = 1
            "#,
        );
        assert_eq!(errors.len(), 6, "{errors:?}");
        for e in &errors {
            assert!(e.starts_with("invalid `[package.metadata.wasm-heap]` key `"), "{e}");
            assert!(e.contains("in /app/Cargo.toml: "), "{e}");
        }
        assert!(
            errors.iter().any(|e| e.contains("key `lock`") && e.contains("unknown lock `mutex`"))
        );
        assert!(errors.iter().any(|e| e.contains("key `classes`") && e.contains("(entry 1)")));
        assert!(errors.iter().any(|e| e.contains("key `colour`") && e.contains("unknown key")));
        assert!(meta.lock.is_none());
    }
}
