//! `SPIN_VARIABLES` names exactly the variables the manifests declare: a variable missing from
//! the list would read as unset in the WASIp3 build, one only in the list is never provided.

use std::collections::BTreeSet;

use hexaspin_config::settings::SPIN_VARIABLES;

/// The names in a manifest's `[variables]` table (`name = { … }`, one per line).
fn declared_variables(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[variables]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_list_of_spin_variables_is_what_the_manifests_declare() {
    let mut declared = declared_variables(include_str!("../../../spin.toml"));
    declared.extend(declared_variables(include_str!(
        "../../../services/users/spin.toml"
    )));
    assert!(declared.contains("jwt_secret") && declared.contains("user_jwt_secret"));
    let listed: BTreeSet<String> = SPIN_VARIABLES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(listed.len(), SPIN_VARIABLES.len(), "a name is listed twice");
    assert_eq!(listed, declared);
}
