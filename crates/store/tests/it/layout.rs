//! The store's layout holds: no module imports one that (through others) imports it back,
//! and the wings (`tenancy/`, `feedback/`, `closed_loop/`, …) depend on each other in one
//! direction only. Read from the source, so a new `use crate::…` that closes a loop fails
//! here, naming the loop. See ARCHITECTURE.md for the wings and their order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module of `src/` (`"closed_loop::cases"`; the crate root is `""`) and its code:
/// no unit tests, no comments.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let source = std::fs::read_to_string(&file).unwrap();
            let code = match source.find("#[cfg(test)]\nmod tests") {
                Some(at) => &source[..at],
                None => &source,
            };
            // Comments name modules without using them (doc links).
            let code: String = code
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            (parts.join("::"), code)
        })
        .collect()
}

/// The paths a module's code names through `crate::` or `super::`, grouped imports
/// (`crate::a::{b, c::d}`) spelled out, as absolute module paths.
fn named_paths(module: &str, code: &str) -> Vec<String> {
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_owned())] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let join = |tail: &str| match base.is_empty() {
                true => tail.to_owned(),
                false => format!("{base}::{tail}"),
            };
            let after = &rest[path.len()..];
            match after.strip_prefix('{').filter(|_| path.ends_with("::")) {
                Some(group) => {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for item in group.split(',') {
                        out.push(join(&format!("{path}{}", item.trim())));
                    }
                }
                None => out.push(join(&path)),
            }
        }
    }
    out
}

/// Which module each module uses, by the longest module path its paths start with;
/// a module's own parent and children are left out (declaring and re-exporting).
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
    let mut graph = BTreeMap::new();
    for (module, code) in &modules {
        let mut uses = BTreeSet::new();
        for path in named_paths(module, code) {
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let target = (1..=segments.len())
                .rev()
                .map(|n| segments[..n].join("::"))
                .find(|candidate| known.contains(candidate.as_str()));
            let Some(target) = target else { continue };
            let related = target == *module
                || module.starts_with(&format!("{target}::"))
                || target.starts_with(&format!("{module}::"));
            if !related {
                uses.insert(target);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A loop in `graph`, as the modules along it, if there is one.
fn a_loop(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_module_of_the_store_imports_itself_back() {
    let graph = dependencies();
    assert!(
        graph.contains_key("closed_loop::cases"),
        "modules: {graph:?}"
    );
    if let Some(found) = a_loop(&graph) {
        panic!(
            "the store's modules import each other in a loop: {}",
            found.join(" → ")
        );
    }
}

#[test]
fn the_wings_depend_on_each_other_one_way() {
    let graph = dependencies();
    // A wing is a folder; the crate root and its files (the `Store` handle, errors, SQL
    // helpers, models) sit under every wing.
    let folders: BTreeSet<&str> = graph
        .keys()
        .filter_map(|m| m.split_once("::").map(|(wing, _)| wing))
        .collect();
    let wing_of = |module: &str| {
        let first = module.split("::").next().unwrap_or_default();
        folders.contains(first).then(|| first.to_owned())
    };
    let mut wings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, uses) in &graph {
        let Some(wing) = wing_of(module) else {
            continue;
        };
        for other in uses.iter().filter_map(|used| wing_of(used)) {
            if other != wing {
                wings.entry(wing.clone()).or_default().insert(other);
            }
        }
    }
    assert!(wings.contains_key("closed_loop"), "wings: {wings:?}");
    if let Some(found) = a_loop(&wings) {
        panic!(
            "the store's wings depend on each other in a loop: {}",
            found.join(" → ")
        );
    }
}

#[test]
fn a_loop_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &[][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(a_loop(&graph).unwrap(), ["a", "b", "c", "a"]);
    let names = named_paths("x::y", "use crate::p::{q, r::s};\nuse super::t::u;");
    assert_eq!(names, ["p::q", "p::r::s", "x::t::u"]);
}
