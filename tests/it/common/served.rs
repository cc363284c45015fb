//! The Java checker kept running (`scripts/kafka-check.sh serve`): a JVM started per check
//! cost about a second of CPU each, hundreds of times per run. The test process keeps a pool,
//! one checker per concurrent caller, started when none is free; each answers requests in
//! turn, exactly as a run of the command line would (exit status, stdout, stderr). A checker
//! ends when the test process does (its stdin closes).

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use super::broker::script;

/// What a request answered.
pub struct Answer {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The end of what the checker process itself said on stderr (its clients' log lines),
    /// when the request failed.
    pub log: String,
}

/// How much of a checker's own stderr (the JVM's, its clients' warnings) is kept, from the end,
/// for the message when it dies.
const STDERR_TAIL: usize = 16 * 1024;

struct Checker {
    child: Child,
    requests: BufWriter<ChildStdin>,
    answers: Receiver<Result<Answer, String>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// The checkers not in use.
static IDLE: Mutex<Vec<Checker>> = Mutex::new(Vec::new());

/// Runs the checker with `args` and `stdin` in a checker of the pool, within `timeout`.
/// `Err` says why no answer came (the checker is then stopped, not reused).
pub fn ask(args: &[String], stdin: &[u8], timeout: Duration) -> Result<Answer, String> {
    let idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut checker = match idle {
        Some(checker) => checker,
        None => Checker::start()?,
    };
    match checker.ask(args, stdin, timeout) {
        Ok(mut answer) => {
            if answer.status != 0 {
                answer.log = checker.stderr();
            }
            IDLE.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(checker);
            Ok(answer)
        }
        Err(error) => Err(format!(
            "{error}\n--- the checker's stderr:\n{}",
            checker.stderr()
        )),
    }
}

impl Checker {
    fn start() -> Result<Self, String> {
        let mut child = Command::new(script("kafka-check.sh"))
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start scripts/kafka-check.sh serve: {e}"))?;
        let (Some(requests), Some(stdout), Some(mut err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("the checker's pipes are missing".into());
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buffer = [0_u8; 4096];
            while let Ok(read) = err.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend_from_slice(&buffer[..read]);
                let over = tail.len().saturating_sub(STDERR_TAIL);
                tail.drain(..over);
            }
        });
        let (send, answers) = channel();
        thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let answer = read_answer(&mut stdout);
                let ended = answer.is_err();
                if send.send(answer).is_err() || ended {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            requests: BufWriter::new(requests),
            answers,
            stderr,
        })
    }

    fn ask(&mut self, args: &[String], stdin: &[u8], timeout: Duration) -> Result<Answer, String> {
        let request = (|| -> std::io::Result<()> {
            self.requests.write_all(&len(args.len()))?;
            for arg in args {
                write_bytes(&mut self.requests, arg.as_bytes())?;
            }
            write_bytes(&mut self.requests, stdin)?;
            self.requests.flush()
        })();
        request.map_err(|e| format!("cannot send the checker {args:?}: {e}"))?;
        match self.answers.recv_timeout(timeout) {
            Ok(answer) => answer.map_err(|e| format!("the checker died answering {args:?}: {e}")),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "the checker did not answer {args:?} within {timeout:?}"
            )),
            Err(RecvTimeoutError::Disconnected) => {
                Err(format!("the checker is gone (asked {args:?})"))
            }
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// A count or length as the checker reads it (Java's `readInt`: at most `i32::MAX`).
fn len(n: usize) -> [u8; 4] {
    i32::try_from(n)
        .unwrap_or_else(|_| panic!("{n} bytes are too many for one checker request"))
        .to_be_bytes()
}

/// The largest part of an answer believed: more means the checker's stdout carries something
/// else than answers.
const MAX_ANSWER: usize = 256 << 20;

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&len(bytes.len()))?;
    out.write_all(bytes)
}

fn read_u32(input: &mut impl Read) -> Result<u32, String> {
    let mut bytes = [0_u8; 4];
    input
        .read_exact(&mut bytes)
        .map_err(|e| format!("no answer: {e}"))?;
    Ok(u32::from_be_bytes(bytes))
}

fn read_bytes(input: &mut impl Read) -> Result<Vec<u8>, String> {
    let len = read_u32(input)? as usize;
    if len > MAX_ANSWER {
        return Err(format!(
            "the checker's stdout is corrupted (an answer of {len} bytes announced): something else wrote to it"
        ));
    }
    let mut bytes = vec![0_u8; len];
    input
        .read_exact(&mut bytes)
        .map_err(|e| format!("an answer cut short: {e}"))?;
    Ok(bytes)
}

fn read_answer(input: &mut impl Read) -> Result<Answer, String> {
    let status = read_u32(input)?.cast_signed();
    Ok(Answer {
        status,
        stdout: read_bytes(input)?,
        stderr: read_bytes(input)?,
        log: String::new(),
    })
}
