//! The code's shape, checked: no module of the core, the CLI, the window, the protocol, the tray
//! or the testkit depends (through `crate::` paths) on a module that depends back on it, however
//! far round. A cycle is how "one place decides" quietly becomes "every place decides"; this
//! finds one the day it is written, and names the modules in it. And the core's modules import
//! up its layers no more often than they did.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of the crate whose sources are in `src`, by path (`login::vault`), with its
/// text minus comments and its unit tests.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    folders.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative: PathBuf = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            found.insert(parts.join("::"), code_of(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    found
}

/// The text that can name another module: comments and the unit tests (at a file's end) go.
fn code_of(text: &str) -> String {
    let tests = ["#[cfg(test)]\nmod tests", "#[cfg(test)]\npub(crate) mod tests"];
    let text = match tests.iter().filter_map(|marker| text.find(marker)).min() {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The modules a module's code names: `crate::a::b::Item` is `a::b` when that is a module,
/// `use crate::{a, b::c}` is `a` and `b`, and `super::x` is the sibling `x`.
fn dependencies(name: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut named: Vec<String> = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            named.extend(group[..end].split(',').map(|item| path_of(item.trim())));
        } else {
            named.push(path_of(rest));
        }
    }
    if let Some((parent, _)) = name.rsplit_once("::") {
        let mut rest = code;
        while let Some(at) = rest.find("super::") {
            rest = &rest[at + "super::".len()..];
            named.push(format!("{parent}::{}", path_of(rest)));
        }
    }
    named
        .into_iter()
        .filter_map(|path| {
            // The longest prefix of the path that is a module.
            let parts: Vec<&str> = path.split("::").collect();
            (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| all.contains_key(m))
        })
        .filter(|m| m != name && !name.starts_with(&format!("{m}::")) && !m.starts_with(&format!("{name}::")))
        .collect()
}

/// `a::b::Item` from the text that follows `crate::`.
fn path_of(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect::<String>()
}

/// The groups of modules that reach each other (Tarjan's strongly connected components of
/// more than one module).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let i = w.index.len();
        w.index.insert(v, i);
        w.low.insert(v, i);
        w.stack.push(v);
        for next in &w.edges[v] {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[v].min(w.low[next]);
                w.low.insert(v, low);
            } else if w.stack.contains(&next) {
                let low = w.low[v].min(w.index[next]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(m) = w.stack.pop() {
                group.push(m.to_string());
                if m == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.found.push(group);
            }
        }
    }
    let mut walk = Walk { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let all = modules(src);
    all.iter().map(|(name, code)| (name.clone(), dependencies(name, code, &all))).collect()
}

#[test]
fn no_module_depends_on_itself_round_a_cycle() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut report = Vec::new();
    for crate_src in [
        "crates/headroom-core/src",
        "crates/headroom-cli/src",
        "src-tauri/src",
        "crates/headroom-testkit/src",
        "crates/headroom-protocol/src",
        "crates/headroom-tray/src",
    ] {
        let graph = module_graph(&workspace.join(crate_src));
        let edges: usize = graph.values().map(BTreeSet::len).sum();
        println!("{crate_src}: {} modules, {edges} dependencies between them", graph.len());
        assert!(graph.len() > 3 && edges > 0, "{crate_src} was read: {graph:?}");
        for group in cycles(&graph) {
            report.push(format!("{crate_src}: {}", group.join(", ")));
        }
    }
    assert!(
        report.is_empty(),
        "groups of modules that reach each other through their dependencies:\n{}",
        report.join("\n")
    );
}

#[test]
fn a_cycle_is_found_and_named() {
    let edges: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}

#[test]
fn paths_grouped_imports_and_super_are_read_as_modules() {
    let all: BTreeMap<String, String> = ["login::vault", "login::keychain", "model", "present::humanize"]
        .iter()
        .map(|m| (m.to_string(), String::new()))
        .collect();
    let code = "use crate::{model::UsageSnapshot, present::humanize};\nuse super::keychain::Keychain;\n// crate::nothing\nfn f() { crate::model::x(); }";
    let deps = dependencies("login::vault", &code_of(code), &all);
    assert_eq!(deps, ["login::keychain", "model", "present::humanize"].iter().map(|s| s.to_string()).collect());
}

/// The core's layers, bottom first: a module builds on its own layer and those below it.
const LAYERS: [&[&str]; 8] = [
    &["text", "user_folders", "model", "logging", "humanize", "json"],
    &["environment", "error", "storage", "settings", "settings_edit"],
    &["login", "sources", "history", "tokens"],
    &["alerts", "fallback"],
    &["status"],
    &["accounts", "poll"],
    &["session", "engine"],
    &["present"],
];

/// Imports up the layers (a module, and a higher layer's top module it names): 13 before the
/// engine came, 7 after; 3 once the layers above said what the code does (`status` reads one
/// account and `accounts` reads many through it, so `status` is the lower; `poll` schedules
/// status reports). The number may go down, never up.
const UPWARD_IMPORTS_AT_MOST: usize = 3;

#[test]
fn the_core_imports_up_its_layers_no_more_often_than_before() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let top = |module: &str| module.split("::").next().unwrap_or_default().to_string();
    let layer = |module: &str| LAYERS.iter().position(|layer| layer.contains(&top(module).as_str()));
    let mut upward = BTreeSet::new();
    for (module, dependencies) in module_graph(&src) {
        if module.ends_with("::tests") {
            continue;
        }
        let from = layer(&module).unwrap_or_else(|| panic!("{module} is in none of the core's LAYERS: add it"));
        for dependency in dependencies {
            if layer(&dependency).is_some_and(|to| to > from) {
                upward.insert(format!("{module} -> {}", top(&dependency)));
            }
        }
    }
    println!(
        "{} imports up the core's layers:\n{}",
        upward.len(),
        upward.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        upward.len() <= UPWARD_IMPORTS_AT_MOST,
        "{} imports up the core's layers (at most {UPWARD_IMPORTS_AT_MOST}):\n{}",
        upward.len(),
        upward.into_iter().collect::<Vec<_>>().join("\n")
    );
}
