//! The contract between the UI and Rust, declared once.
//!
//! [`commands!`] takes each command's name, its one argument (if any) and its result
//! type, with the body that calls `parley-agent`, and makes from that single list:
//! the `#[tauri::command]` functions, the handler that registers them, the list of
//! names the capability file grants, and — for the bindings test — the TypeScript
//! function for each command plus the TypeScript types of every argument and result
//! (ts-rs). The UI calls Rust only through those generated functions, so a change on
//! either side that the other does not follow fails the bindings test or `tsc`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ts_rs::{Config, TypeVisitor, TS};

/// Declares the commands. Each entry:
/// `/// doc` `name(state[, arg: Type]) -> Result { body }`, where the body may use `?`
/// on agent errors and `.await`.
macro_rules! commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $state:ident $(, $arg:ident : $ty:ty)? ) -> $ret:ty $body:block )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command(rename_all = "camelCase")]
            pub async fn $name(
                $state: tauri::State<'_, crate::state::AppState>
                $(, $arg: $ty)?
            ) -> Result<$ret, crate::error::CommandError> {
                // Status polls are not the person doing something: they do not delay auto-lock.
                if !matches!(stringify!($name), "vault_status" | "sync_status") {
                    $state.touch();
                }
                let result: Result<$ret, crate::error::CommandError> = async {
                    let value: $ret = $body;
                    Ok(value)
                }
                .await;
                result
            }
        )*

        /// Registers every command with Tauri.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's name, as the capability file grants them.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// The commands as TypeScript, and every type they exchange exported under `cfg`.
        pub fn typescript(cfg: &ts_rs::Config) -> (String, std::collections::BTreeMap<String, std::path::PathBuf>) {
            let mut exporter = crate::contract::Exporter::new(cfg);
            let mut functions = String::new();
            $(
                #[allow(unused_variables)]
                let arg: Option<(&str, String)> = None;
                $(
                    exporter.add::<$ty>();
                    let arg = Some((stringify!($arg), <$ty as ts_rs::TS>::name(cfg)));
                )?
                exporter.add::<$ret>();
                let doc: &[&str] = &[$($doc),*];
                functions.push_str(&crate::contract::function(
                    stringify!($name), doc, arg, &<$ret as ts_rs::TS>::name(cfg),
                ));
            )*
            exporter.add::<crate::error::CommandError>();
            exporter.add::<crate::news::Arrival>();
            (functions, exporter.names)
        }
    };
}
pub(crate) use commands;

/// Exports each type a command uses (and what they use), collecting their names.
pub struct Exporter<'a> {
    cfg: &'a Config,
    /// Each exported type's name and file (relative, without extension).
    pub names: BTreeMap<String, PathBuf>,
    /// Types already visited: recursive types (a JSON value holds JSON values) end here.
    seen: BTreeSet<&'static str>,
}

impl<'a> Exporter<'a> {
    pub fn new(cfg: &'a Config) -> Self {
        Self { cfg, names: BTreeMap::new(), seen: BTreeSet::new() }
    }

    pub fn add<T: TS + 'static + ?Sized>(&mut self) {
        self.visit::<T>();
    }
}

impl TypeVisitor for Exporter<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(std::any::type_name::<T>()) {
            return;
        }
        if let Some(path) = T::output_path() {
            let name = T::ident(self.cfg);
            if self.names.insert(name.clone(), path.with_extension("")).is_none() {
                T::export_all(self.cfg).unwrap_or_else(|e| panic!("exporting {name}: {e}"));
            }
            // What it is made of is exported with it; named too, so the UI can import it.
            T::visit_dependencies(self);
        } else {
            T::visit_dependencies(self);
            T::visit_generics(self);
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One command as a typed TypeScript function over `call`.
pub fn function(name: &str, doc: &[&str], arg: Option<(&str, String)>, ret: &str) -> String {
    let mut out = String::new();
    if !doc.is_empty() {
        out.push_str("/**");
        for line in doc {
            out.push_str(&format!("\n *{line}"));
        }
        out.push_str("\n */\n");
    }
    let (params, payload) = match arg {
        Some((a, ty)) => (format!("{}: {ty}", camel(a)), format!("{{ {} }}", camel(a))),
        None => (String::new(), "{}".to_owned()),
    };
    out.push_str(&format!(
        "export function {}({params}): Promise<{ret}> {{\n  return call(\"{name}\", {payload});\n}}\n\n",
        camel(name)
    ));
    out
}
