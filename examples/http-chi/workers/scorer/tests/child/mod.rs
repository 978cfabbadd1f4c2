//! The real `scorer` binary as a child process, for the end-to-end
//! tests: started on ephemeral loopback ports, stopped with signals.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use tonic::transport::Channel;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running worker process; killed on drop if a test fails midway.
pub struct Worker {
    child: Child,
    addr: String,
    logs: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Worker {
    pub fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scorer"));
        command
            .env_remove("MODEL_PATH")
            .env_remove("MAX_IN_FLIGHT")
            .env_remove("CPU_BUDGET")
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("scorer starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, logs) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut worker = Self {
            child,
            addr: String::new(),
            logs,
            seen: Vec::new(),
        };
        let line = worker.wait_for_log("listening");
        let event: serde_json::Value = serde_json::from_str(&line).expect("logs are JSON");
        worker.addr = event["addr"]
            .as_str()
            .expect("listening log has addr")
            .to_owned();
        worker
    }

    /// Waits for a log line whose message is `message` and returns it.
    pub fn wait_for_log(&mut self, message: &str) -> String {
        let needle = format!(r#""message":"{message}""#);
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.logs.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(&needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no {message:?} log; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("connects to the worker")
    }

    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends the signal `name` (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its status and remaining
    /// logs, all of them: the reader thread may not yet have read what the
    /// worker wrote just before it exited (a line lost that way failed a test
    /// asserting its exit message), so they are read up to end of file.
    pub fn wait(mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "worker did not exit within {timeout:?}"
            );
            thread::sleep(Duration::from_millis(20));
        };
        let mut logs = std::mem::take(&mut self.seen);
        loop {
            match self.logs.recv_timeout(STARTUP_TIMEOUT) {
                Ok(line) => logs.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return (status, logs),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the worker's stdout stayed open after it exited")
                }
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
