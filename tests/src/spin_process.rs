//! [`SpinUp`]: `spin up` as a child process of a test, with every process it starts.
//!
//! `spin up` runs its trigger as a child process (`spin trigger http`), which keeps serving (and
//! keeps its port) when only `spin up` is killed. So `spin up` starts in a process group of its
//! own; stopping sends SIGTERM, then SIGKILL, to that group and to every descendant found in
//! `/proc` (in case one left the group), and reports any of them still alive afterwards: the test
//! fails rather than leak it.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `spin up` of a manifest and every process it starts; stopped when dropped.
pub struct SpinUp {
    /// Where it listens on 127.0.0.1.
    pub port: u16,
    child: Child,
    stopped: bool,
}

/// Linear memory one component instance may grow to (`spin up --max-instance-memory`): 64 MiB,
/// far above what a request within the body limits needs.
pub const INSTANCE_MEMORY_BYTES: &str = "67108864";

impl SpinUp {
    /// Runs `spin up -f <manifest> --listen 127.0.0.1:<free port> <args>` with `env` added, and
    /// waits until it listens. Spin's own output goes to `output` (shown if it fails to start).
    ///
    /// A free port is only free when it is picked: tests starting Spin at once can pick the same
    /// one, and then one Spin fails to bind while the other answers on it (seen in CI: a test
    /// talked to another test's Spin until that one stopped). So it counts as listening only once
    /// this Spin printed that it serves on its port, and a Spin that exits before is started
    /// again on another port (three tries).
    pub fn start(manifest: &Path, args: &[&std::ffi::OsStr], env: &[(&str, &str)], output: &Path) -> Self {
        let mut why = String::new();
        for _ in 0..3 {
            let mut spin = Self::spawn(manifest, args, env, output);
            match spin.wait_until_listening(output) {
                Ok(()) => return spin,
                Err(failed) => why = failed,
            }
        }
        let printed = std::fs::read_to_string(output).unwrap_or_default();
        panic!("{why}; spin printed:\n{printed}");
    }

    fn spawn(manifest: &Path, args: &[&std::ffi::OsStr], env: &[(&str, &str)], output: &Path) -> Self {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let log = std::fs::File::create(output).expect("spin's output file");
        let child = Command::new("spin")
            .args(["up", "--listen", &format!("127.0.0.1:{port}")])
            .arg("-f")
            .arg(manifest)
            .args(args)
            // The cap the README recommends, so the tests prove the app runs within it.
            .env("SPIN_MAX_INSTANCE_MEMORY", INSTANCE_MEMORY_BYTES)
            .envs(env.iter().copied())
            .stdout(log.try_clone().expect("output file"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("spawn spin up");
        Self {
            port,
            child,
            stopped: false,
        }
    }

    fn wait_until_listening(&mut self, output: &Path) -> Result<(), String> {
        let serving = format!("Serving http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let printed = std::fs::read_to_string(output).unwrap_or_default();
            if printed.contains(&serving) && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("spin up exited early with {status}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("spin up did not listen on {} within 120 s", self.port))
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits")
    }

    /// `spin up` and everything it started that runs now: its process group and its descendants.
    pub fn processes(&self) -> Vec<Process> {
        let all = snapshot();
        let root = self.pid();
        let mut family: Vec<Process> = all
            .iter()
            .filter(|p| p.pid == root || p.group == root)
            .cloned()
            .collect();
        let mut frontier: Vec<i32> = family.iter().map(|p| p.pid).collect();
        while let Some(parent) = frontier.pop() {
            for child in all.iter().filter(|p| p.ppid == parent) {
                if !family.iter().any(|known| known.pid == child.pid) {
                    family.push(child.clone());
                    frontier.push(child.pid);
                }
            }
        }
        family.retain(|p| !p.zombie);
        family
    }

    /// SIGTERM to all of them, SIGKILL to any left after 10 s; returns a description of each
    /// one still alive 5 s later (empty when all are gone).
    pub fn stop(&mut self) -> Vec<String> {
        if self.stopped {
            return Vec::new();
        }
        self.stopped = true;
        let family = self.processes();
        let group = Pid::from_raw(self.pid());
        let signal_all = |signal: Signal| {
            let _ = killpg(group, signal);
            for process in family.iter().filter(|p| p.is_alive()) {
                let _ = kill(Pid::from_raw(process.pid), signal);
            }
        };
        signal_all(Signal::SIGTERM);
        let gone = |child: &mut Child| {
            let _ = child.try_wait(); // reap spin up itself, so it is no zombie of ours
            family.iter().all(|p| !p.is_alive())
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !gone(&mut self.child) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_all(Signal::SIGKILL);
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone(&mut self.child) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        family
            .iter()
            .filter(|p| p.is_alive())
            .map(|p| format!("a Spin process outlived its test: {} {}", p.pid, p.command))
            .collect()
    }
}

impl Drop for SpinUp {
    fn drop(&mut self) {
        let outlived = self.stop();
        if !outlived.is_empty() && !std::thread::panicking() {
            panic!("{}", outlived.join("\n"));
        }
    }
}

/// One process as `/proc` shows it.
#[derive(Debug, Clone)]
pub struct Process {
    pub pid: i32,
    /// Its command line, arguments joined by spaces.
    pub command: String,
    ppid: i32,
    group: i32,
    zombie: bool,
    /// Clock ticks after boot: tells this process from a later one given the same pid.
    started: u64,
}

impl Process {
    /// Whether this very process (same pid, same start) still runs (a zombie does not).
    pub fn is_alive(&self) -> bool {
        read(self.pid).is_some_and(|now| now.started == self.started && !now.zombie)
    }
}

fn snapshot() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter_map(read)
        .collect()
}

fn read(pid: i32) -> Option<Process> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp session … starttime(22nd field) …`; comm may hold spaces
    // and parentheses, so fields are counted after its closing one.
    let (_, tail) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = tail.split_whitespace().collect();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    Some(Process {
        pid,
        command: String::from_utf8_lossy(&cmdline)
            .replace('\0', " ")
            .trim()
            .to_owned(),
        zombie: *fields.first()? == "Z",
        ppid: fields.get(1)?.parse().ok()?,
        group: fields.get(2)?.parse().ok()?,
        started: fields.get(19)?.parse().ok()?,
    })
}
