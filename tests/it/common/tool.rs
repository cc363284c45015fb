//! Running the tool (and other processes) from the tests: a scrubbed environment, stdin
//! bytes, a timeout, captured output.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The tool's binary with a scrubbed environment: only `PATH` and `HOME` kept, `NO_COLOR=1`.
pub fn kmp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafka-merge-purge"));
    command.env_clear();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.env("NO_COLOR", "1");
    command
}

/// What a finished process left behind.
#[derive(Debug)]
pub struct RunOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl RunOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Fails the test, showing stderr, unless the process exited 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(self.status.success(), "{}", self.stderr_text());
        self
    }

    /// Fails the test unless the process exited with `code`.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Self {
        assert_eq!(self.status.code(), Some(code), "{}", self.stderr_text());
        self
    }

    /// Fails the test, showing stderr, unless stderr contains `text`.
    #[track_caller]
    pub fn assert_said(&self, text: &str) -> &Self {
        let said = self.stderr_text();
        assert!(said.contains(text), "{text:?} not in:\n{said}");
        self
    }
}

/// Runs `command` with `stdin` written to it (then closed) and stdout/stderr captured.
/// Kills it and fails the test, showing what it printed, when it runs longer than `timeout`.
pub fn run(command: &mut Command, stdin: &[u8], timeout: Duration) -> RunOutput {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut input = child.stdin.take().unwrap_or_else(|| unreachable!());
    let stdin = stdin.to_vec();
    // A process that exits without reading all its input closes the pipe: not an error here.
    let writer = thread::spawn(move || drop(input.write_all(&stdin)));
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _killed = child.kill();
                let _reaped = child.wait();
                let stdout = stdout.join().unwrap_or_default();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "{command:?} still ran after {timeout:?}; killed it.\n--- stdout:\n{}\n--- stderr:\n{}",
                    String::from_utf8_lossy(&stdout),
                    String::from_utf8_lossy(&stderr)
                );
            }
            Err(e) => panic!("waiting for {command:?}: {e}"),
        }
    };
    let _written = writer.join();
    RunOutput {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn capture<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the capture; the exit status still tells what happened.
            let _read = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// The arguments of `merge-all` from `dlq` to `retry` on the plain test broker with group
/// `group` and `options`, for runs started another way (spawned, killed, in a pty).
pub fn merge_args(group: &str, options: &[&str], dlq: &str, retry: &str) -> Vec<String> {
    let mut args = vec!["-b", super::kafka().bootstrap(), "-g", group];
    args.extend_from_slice(options);
    args.extend(["merge-all", dlq, retry]);
    args.into_iter().map(str::to_owned).collect()
}

/// How long a run of the tool may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// A run of the tool, built step by step: `Kmp::new().group(&g).merge_all(&dlq, &retry).ok()`.
/// [`Kmp::new`] talks to the plain test broker (`-b`); [`Kmp::bare`] starts with no argument.
pub struct Kmp {
    command: Command,
    stdin: Vec<u8>,
    timeout: Duration,
}

impl Kmp {
    /// `kafka-merge-purge -b <the plain test broker>`.
    pub fn new() -> Self {
        Self::bare().args(["-b", super::kafka().bootstrap()])
    }

    /// `kafka-merge-purge` with a scrubbed environment and nothing else.
    pub fn bare() -> Self {
        Self {
            command: kmp(),
            stdin: Vec::new(),
            timeout: RUN_TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// `-g GROUP`.
    pub fn group(self, group: &str) -> Self {
        self.args(["-g", group])
    }

    pub fn ask(self, dlq: &str, retry: &str) -> Self {
        self.args(["ask", dlq, retry])
    }

    pub fn merge_all(self, dlq: &str, retry: &str) -> Self {
        self.args(["merge-all", dlq, retry])
    }

    pub fn purge_all(self, topic: &str) -> Self {
        self.args(["purge-all", topic])
    }

    pub fn print(self, topic: &str) -> Self {
        self.args(["print", topic])
    }

    /// What the tool reads on stdin (then EOF).
    pub fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = bytes.to_vec();
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn run(mut self) -> RunOutput {
        run(&mut self.command, &self.stdin, self.timeout)
    }

    /// Runs it and fails the test, showing stderr, unless it exited 0.
    pub fn ok(self) -> RunOutput {
        let output = self.run();
        assert!(output.status.success(), "{}", output.stderr_text());
        output
    }
}
