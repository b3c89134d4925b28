//! Every built Spin component exports the HTTP handler and imports only interfaces that the
//! released SpinKube shim (Spin 3.6) provides, so it loads there and on Spin 3.x/4.x.
//!
//! `cargo xtask test` builds the components first and sets HEXASPIN_REQUIRE_WASM=1, making a
//! missing component a failure. A bare `cargo test` without them prints SKIPPED and says why.

use std::path::PathBuf;

use hexaspin_tests::prerequisites::Prerequisite;
use hexaspin_tests::spin_up::workspace_root;
use wasmparser::{Parser, Payload};

/// Interfaces of Spin 3.6's `platform` world (spin:up@3.6.0), as `namespace:package/interface`
/// with the versions it serves. WASI 0.2.x imports are satisfied for any 0.2 patch up to 0.2.6.
fn provided_by_spin_3_6(import: &str) -> bool {
    let Some((path, version)) = import.split_once('@') else {
        return false;
    };
    let Some((package, _interface)) = path.split_once('/') else {
        return false;
    };
    let wasi_0_2 = [
        "wasi:cli",
        "wasi:clocks",
        "wasi:filesystem",
        "wasi:sockets",
        "wasi:random",
        "wasi:io",
        "wasi:http",
    ];
    if wasi_0_2.contains(&package) {
        return version
            .strip_prefix("0.2.")
            .and_then(|patch| patch.parse::<u32>().ok())
            .is_some_and(|patch| patch <= 6);
    }
    let fermyon_spin_2 = [
        "fermyon:spin/llm",
        "fermyon:spin/redis",
        "fermyon:spin/mqtt",
        "fermyon:spin/postgres",
        "fermyon:spin/mysql",
        "fermyon:spin/sqlite",
        "fermyon:spin/key-value",
        "fermyon:spin/variables",
    ];
    match package {
        "fermyon:spin" => fermyon_spin_2.contains(&path) && version == "2.0.0",
        "spin:postgres" => path == "spin:postgres/postgres" && (version == "3.0.0" || version == "4.0.0"),
        "spin:sqlite" => path == "spin:sqlite/sqlite" && version == "3.0.0",
        "wasi:config" => path == "wasi:config/store" && version == "0.2.0-draft-2024-09-27",
        "wasi:keyvalue" => version == "0.2.0-draft2",
        _ => false,
    }
}

fn component_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("components"))
        .expect("components/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    // The user service's component lives with its service (services/users/component).
    names.push("users".to_owned());
    names.sort();
    names
}

struct Surface {
    imports: Vec<String>,
    exports: Vec<String>,
}

/// The component's own imports and exports (not those of the modules nested inside it).
fn surface(bytes: &[u8]) -> Surface {
    let mut surface = Surface {
        imports: Vec::new(),
        exports: Vec::new(),
    };
    let mut depth = 0usize;
    let mut is_component = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("the component is valid wasm") {
            Payload::Version { encoding, .. } if depth == 0 => {
                is_component = encoding == wasmparser::Encoding::Component;
            }
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    surface.imports.push(import.expect("import").name.0.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    surface.exports.push(export.expect("export").name.0.to_owned());
                }
            }
            _ => {}
        }
    }
    assert!(
        is_component,
        "a Spin component must be a wasm component, not a core module"
    );
    surface
}

#[test]
fn every_component_exports_the_http_handler_and_imports_only_what_spin_3_6_provides() {
    let dir = std::env::var("HEXASPIN_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target/wasm32-wasip2/release"));
    let names = component_names();
    assert!(!names.is_empty(), "components/ holds no component crates");
    for name in names {
        // Package hexaspin-<folder> builds hexaspin_<folder>.wasm.
        let path = dir.join(format!("hexaspin_{}.wasm", name.replace('-', "_")));
        let Ok(bytes) = std::fs::read(&path) else {
            Prerequisite::Wasm.missing(format_args!(
                "component {name}: {} is not built; run `cargo xtask test` (it builds the wasm components first)",
                path.display()
            ));
            continue;
        };
        let surface = surface(&bytes);
        let handler = surface
            .exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2."));
        assert!(
            handler,
            "{name} does not export wasi:http/incoming-handler@0.2.x; it exports {:?}",
            surface.exports
        );
        let foreign: Vec<_> = surface
            .imports
            .iter()
            .filter(|i| !provided_by_spin_3_6(i))
            .collect();
        assert!(
            foreign.is_empty(),
            "{name} imports interfaces Spin 3.6 does not provide: {foreign:?}"
        );
        println!(
            "{name}: {} imports, all provided by Spin 3.6; exports {:?}",
            surface.imports.len(),
            surface.exports
        );
    }
}

#[test]
fn the_import_check_refuses_what_spin_3_6_lacks() {
    assert!(provided_by_spin_3_6("wasi:http/types@0.2.3"));
    assert!(provided_by_spin_3_6("spin:postgres/postgres@4.0.0"));
    assert!(provided_by_spin_3_6("fermyon:spin/variables@2.0.0"));
    assert!(!provided_by_spin_3_6("wasi:http/types@0.3.0-rc-2026-01-06"));
    assert!(!provided_by_spin_3_6("wasi:http/types@0.2.7"));
    assert!(!provided_by_spin_3_6("spin:postgres/postgres@5.0.0"));
    assert!(!provided_by_spin_3_6("fermyon:spin/variables@3.0.0"));
    assert!(!provided_by_spin_3_6("acme:secret/backdoor@1.0.0"));
    assert!(!provided_by_spin_3_6("wasi:http/types"));
}

#[test]
fn every_component_of_the_wasip3_build_exports_the_wasi_0_3_http_handler() {
    let dir = workspace_root().join("target/wasm32-wasip2/wasip3");
    for name in component_names() {
        let path = dir.join(format!("hexaspin_{}.wasm", name.replace('-', "_")));
        let Ok(bytes) = std::fs::read(&path) else {
            Prerequisite::Wasm.missing(format_args!(
                "the WASIp3 build of {name}: {} is not built; run `cargo xtask build-wasm`",
                path.display()
            ));
            continue;
        };
        let surface = surface(&bytes);
        assert!(
            surface.exports.iter().any(|e| e == "wasi:http/handler@0.3.0"),
            "{name} (WASIp3) does not export wasi:http/handler@0.3.0; it exports {:?}",
            surface.exports
        );
        let old_interfaces: Vec<&String> = surface
            .imports
            .iter()
            .filter(|i| i.starts_with("fermyon:spin/") || i.starts_with("wasi:http/types@0.2"))
            .collect();
        assert!(
            old_interfaces.is_empty(),
            "{name} (WASIp3) imports the WASIp2 build's interfaces {old_interfaces:?}"
        );
    }
}
