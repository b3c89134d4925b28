//! The Python tools the OpenAPI tests run (`tests/python-requirements.txt`), in a virtualenv
//! under the target directory, so they are cached with the build and never touch the system.

use std::path::PathBuf;
use std::process::Command;

use crate::shell;

/// Makes (or reuses) the virtualenv and returns its `bin/`. A missing `python3` is an error that
/// says what to install.
pub fn ensure() -> Result<PathBuf, String> {
    let venv = shell::target_dir().join("python-tools");
    let bin = venv.join("bin");
    let requirements = shell::root().join("tests/python-requirements.txt");
    let wanted =
        std::fs::read_to_string(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    // The requirements the venv was made from: a changed pin reinstalls.
    let stamp = venv.join("requirements.installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted)
        && bin.join("schemathesis").is_file()
    {
        return Ok(bin);
    }
    let python = find_python()?;
    let status = Command::new(&python)
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`{python} -m venv` failed ({status}); on Debian: apt-get install python3-venv"
        ));
    }
    let status = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    if !status.success() {
        return Err(format!(
            "installing tests/python-requirements.txt failed ({status})"
        ));
    }
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(bin)
}

/// The oldest Python whose `ast` module survives hypothesis: 3.11 fails in schemathesis's coverage
/// phase with "AST constructor recursion depth mismatch" (seen with 3.11.7; 3.12 runs clean).
const MIN_PYTHON: (u32, u32) = (3, 12);

/// `PYTHON`, else the first of `python3.13`, `python3.12`, `python3` and pyenv's installed
/// versions that is at least [`MIN_PYTHON`].
fn find_python() -> Result<String, String> {
    let mut candidates: Vec<String> = std::env::var("PYTHON").into_iter().collect();
    candidates.extend(["python3.13", "python3.12", "python3"].map(String::from));
    let pyenv_versions = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")))
        .map(|root| root.join("versions"));
    if let Some(Ok(entries)) = pyenv_versions.map(std::fs::read_dir) {
        let mut installed: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin/python3")).collect();
        installed.sort();
        candidates.extend(
            installed
                .into_iter()
                .rev()
                .map(|p| p.to_string_lossy().into_owned()),
        );
    }
    let mut seen = Vec::new();
    for candidate in candidates {
        let Some(version) = version_of(&candidate) else {
            continue;
        };
        if version >= MIN_PYTHON {
            return Ok(candidate);
        }
        seen.push(format!("{candidate} ({}.{})", version.0, version.1));
    }
    Err(format!(
        "the OpenAPI tests need Python >= {}.{} with venv (found: {}); set PYTHON to one",
        MIN_PYTHON.0,
        MIN_PYTHON.1,
        if seen.is_empty() {
            "none".to_owned()
        } else {
            seen.join(", ")
        }
    ))
}

fn version_of(python: &str) -> Option<(u32, u32)> {
    let output = Command::new(python)
        .args([
            "-c",
            "import sys; print(sys.version_info[0], sys.version_info[1])",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace().map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}
