//! The README's statements about what exists, checked against the tree and the manifests, so
//! that a folder, a component or a required variable added (or removed) without the README
//! following fails here instead of misleading the next reader.

use std::collections::BTreeSet;
use std::path::Path;

use hexaspin_tests::spin_up::workspace_root;

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The README's text from the heading `## <title>` to the next `## ` heading.
fn section<'a>(readme: &'a str, title: &str) -> &'a str {
    let heading = format!("\n## {title}\n");
    let start = readme
        .find(&heading)
        .unwrap_or_else(|| panic!("the README has no section `## {title}`"))
        + heading.len();
    let end = readme[start..]
        .find("\n## ")
        .map_or(readme.len(), |at| start + at);
    &readme[start..end]
}

/// The first fenced block of `text` that contains `marker`.
fn block_containing<'a>(text: &'a str, marker: &str) -> &'a str {
    text.split("```")
        .skip(1)
        .step_by(2)
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no code block with `{marker}`"))
}

/// The paths the Layout block lists: each line's first word, when it starts in column 0.
fn layout_entries(readme: &str) -> BTreeSet<String> {
    let layout = section(readme, "Layout");
    let block = layout
        .split("```")
        .nth(1)
        .expect("the Layout section has a code block");
    block
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .map(|path| path.trim_end_matches('/').to_owned())
        .collect()
}

/// Folders of the tree a reader must find in the Layout: every top-level folder (but the hidden
/// ones) and every package folder under `crates/`, `components/` and `services/`.
fn folders_to_describe(root: &Path) -> BTreeSet<String> {
    let subfolders = |parent: &str| -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(root.join(parent))
            .unwrap_or_else(|e| panic!("{parent}: {e}"))
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .map(|name| {
                if parent.is_empty() {
                    name
                } else {
                    format!("{parent}/{name}")
                }
            })
            .collect();
        found.sort();
        found
    };
    // Only what git tracks: `target/`, `node_modules/` and `.spin/` are made by builds.
    let listed = std::process::Command::new("git")
        .args(["ls-files"])
        .current_dir(root)
        .output()
        .expect("git ls-files");
    // Without a checkout (or with one git refuses) nothing would count as tracked and the check
    // would pass having checked nothing.
    assert!(
        listed.status.success() && !listed.stdout.is_empty(),
        "`git ls-files` in {} listed nothing: {}",
        root.display(),
        String::from_utf8_lossy(&listed.stderr)
    );
    let tracked = String::from_utf8_lossy(&listed.stdout).into_owned();
    let is_tracked = |folder: &str| tracked.lines().any(|f| f.starts_with(&format!("{folder}/")));
    let mut folders: BTreeSet<String> = subfolders("").into_iter().filter(|f| is_tracked(f)).collect();
    for parent in ["crates", "components", "services"] {
        folders.extend(subfolders(parent).into_iter().filter(|f| is_tracked(f)));
    }
    folders
}

#[test]
fn every_folder_of_the_tree_is_in_the_readme_layout_and_every_layout_entry_exists() {
    let root = workspace_root();
    let entries = layout_entries(&read("README.md"));
    for entry in &entries {
        assert!(
            root.join(entry).exists(),
            "the README's Layout lists `{entry}`, which does not exist"
        );
    }
    for folder in folders_to_describe(&root) {
        // A top-level folder may be described through its children (`components/admin-keys`).
        let described = entries.contains(&folder)
            || (!folder.contains('/') && entries.iter().any(|e| e.starts_with(&format!("{folder}/"))));
        assert!(
            described,
            "`{folder}/` is not in the README's Layout; entries: {entries:?}"
        );
    }
}

/// The variables `spin.toml` declares, with whether each is required.
fn spin_variables() -> Vec<(String, bool)> {
    let manifest: toml::Table = read("spin.toml").parse().expect("spin.toml parses");
    let variables = manifest["variables"]
        .as_table()
        .expect("spin.toml has [variables]");
    variables
        .iter()
        .map(|(name, value)| {
            let required = value
                .get("required")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            (name.clone(), required)
        })
        .collect()
}

/// The Spin variables a shell command sets as `SPIN_VARIABLE_<NAME>=`, lower-cased.
fn variables_set_in(command: &str) -> BTreeSet<String> {
    command
        .match_indices("SPIN_VARIABLE_")
        .filter_map(|(at, prefix)| {
            let rest = &command[at + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest[name.len()..]
                .starts_with('=')
                .then(|| name.to_ascii_lowercase())
        })
        .collect()
}

#[test]
fn the_readme_production_example_sets_every_required_variable_and_only_declared_ones() {
    let readme = read("README.md");
    let example = block_containing(
        section(&readme, "Using Postgres (and Redis): the production deployment"),
        "spin up",
    );
    let set = variables_set_in(example);
    let declared = spin_variables();
    for (name, required) in &declared {
        assert!(
            !required || set.contains(name),
            "spin.toml requires `{name}`, but the README's production example does not set \
             SPIN_VARIABLE_{}: following it fails at start-up",
            name.to_ascii_uppercase()
        );
    }
    for name in &set {
        assert!(
            declared.iter().any(|(declared, _)| declared == name),
            "the README's production example sets SPIN_VARIABLE_{}, which spin.toml does not declare",
            name.to_ascii_uppercase()
        );
    }
}

#[test]
fn every_spin_variable_is_in_a_readme_configuration_table() {
    let readme = read("README.md");
    let table_rows: Vec<&str> = readme.lines().filter(|line| line.starts_with('|')).collect();
    let missing: Vec<String> = spin_variables()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !table_rows.iter().any(|row| row.contains(&format!("`{name}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "spin.toml declares variables no table of the README describes: {missing:?}"
    );
}

#[test]
fn every_component_of_spin_toml_is_in_the_readme_feature_list() {
    let readme = read("README.md");
    let features = &readme[..readme.find("\n## ").expect("the README has sections")];
    let manifest: toml::Table = read("spin.toml").parse().expect("spin.toml parses");
    let components = manifest["component"]
        .as_table()
        .expect("spin.toml has components");
    for id in components.keys() {
        assert!(
            features.contains(&format!("component `{id}`")),
            "the README's feature list does not name the component `{id}` (as \"component `{id}`\")"
        );
    }
    assert!(
        !features.contains("Not yet"),
        "the feature list says something is not there yet: say what is missing in an issue, or \
         name it with the feature it belongs to"
    );
}

#[test]
fn the_layout_parser_reads_entries_and_skips_continuation_lines() {
    let readme = "x\n## Layout\n\n```\na/b   what\n      more of it\nc/    other\n```\n\n## Next\n";
    let entries = layout_entries(readme);
    assert_eq!(
        entries.into_iter().collect::<Vec<_>>(),
        vec!["a/b".to_owned(), "c".to_owned()]
    );
}

#[test]
fn only_assignments_count_as_variables_set() {
    let set = variables_set_in("SPIN_VARIABLE_PG_URL=\"$X\" echo SPIN_VARIABLE_FOO spin up");
    assert_eq!(set.into_iter().collect::<Vec<_>>(), vec!["pg_url".to_owned()]);
}
