//! `cargo xtask fuzz [seconds]`: builds the cargo-fuzz targets in `fuzz/` and runs each for a
//! bounded time (default 30 s, or `HEXASPIN_FUZZ_SECONDS`), starting from the committed seeds in
//! `fuzz/seeds/<target>`. New inputs go to a corpus outside the checkout; a crash fails the run
//! and leaves its input in `fuzz/artifacts/<target>/` (reproduce with `cargo +nightly fuzz run
//! <target> <file>`). Installs the nightly toolchain and cargo-fuzz when they are missing.

use std::process::Command;

use crate::shell;

/// The targets, in the order they run.
const TARGETS: [&str; 5] = [
    "dispatch_request",
    "request_body",
    "identifiers",
    "admin_jwt",
    "client_address",
];

/// Seconds per target when neither the argument nor `HEXASPIN_FUZZ_SECONDS` says otherwise.
const DEFAULT_SECONDS: u32 = 30;

pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = match args
        .first()
        .or(std::env::var("HEXASPIN_FUZZ_SECONDS").ok().as_ref())
    {
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| format!("fuzz seconds must be a whole number, not {text:?}"))?,
        None => DEFAULT_SECONDS,
    };
    ensure_tools()?;
    let fuzz_dir = shell::root().join("fuzz");
    // Built apart from the product: other flags (sanitizers), another toolchain.
    let target_dir = shell::target_dir().join("fuzz");
    let target_dir = target_dir.to_string_lossy();
    rustup_cargo(
        &["+nightly", "fuzz", "build", "--target-dir", &target_dir],
        &fuzz_dir,
    )?;
    let corpus_root = shell::target_dir().join("fuzz-corpus");
    for target in TARGETS {
        let corpus = corpus_root.join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let seeds = fuzz_dir.join("seeds").join(target);
        println!("xtask: fuzzing {target} for {seconds} s");
        // libFuzzer reports every new input; its log is kept, and shown only when it failed.
        let log_path = corpus_root.join(format!("{target}.log"));
        let log = std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let status = Command::new("cargo")
            .args(["+nightly", "fuzz", "run", "--target-dir", &target_dir, target])
            .arg(&corpus)
            .arg(&seeds)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-print_final_stats=1",
            ])
            .current_dir(&fuzz_dir)
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO_TARGET_DIR")
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .status()
            .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        if !status.success() {
            let lines: Vec<&str> = output.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            return Err(format!(
                "the fuzzer found a failing input for {target} (saved in fuzz/artifacts/{target}/):\n{}",
                tail.join("\n")
            ));
        }
        let summary = output
            .lines()
            .filter(|l| l.starts_with("Done ") || l.starts_with("stat::new_units_added"));
        for line in summary {
            println!("xtask:   {line}");
        }
    }
    println!(
        "xtask: {} fuzz targets ran {seconds} s each without a failure",
        TARGETS.len()
    );
    Ok(())
}

/// The rustup proxy `cargo` (not `$CARGO`, which is the stable toolchain's own binary), so that
/// `+nightly` selects the toolchain.
fn rustup_cargo(args: &[&str], dir: &std::path::Path) -> Result<(), String> {
    let status = Command::new("cargo")
        .args(args)
        .current_dir(dir)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn ensure_tools() -> Result<(), String> {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        println!("xtask: installing the nightly toolchain (cargo-fuzz needs it)");
        install(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    let fuzz = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .is_ok_and(|o| o.status.success());
    if !fuzz {
        println!("xtask: installing cargo-fuzz");
        install(
            Command::new("cargo")
                .args(["install", "cargo-fuzz", "--locked"])
                .env_remove("RUSTUP_TOOLCHAIN"),
        )?;
    }
    Ok(())
}

fn install(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}
