//! Work for admitted calls runs at a lower CPU priority than the threads
//! that admit and refuse calls.
//!
//! Under overload every core is busy decoding and scoring admitted calls.
//! At equal priority, the runtime threads, which read each call's 5-byte
//! prefix and answer `RESOURCE_EXHAUSTED` (see `shed`), wait behind that work
//! for whole scheduler slices (milliseconds each), so a refusal takes as long
//! as the queue it is meant to avoid. A nice value of [`ADMITTED_WORK_NICE`]
//! on the rayon pool and on the blocking threads that decode big messages
//! gives a runtime thread about nine times their weight (the kernel's
//! `sched_prio_to_weight`: 1024 at nice 0, 110 at nice 10), so it runs as
//! soon as it has work, while the scoring threads still get every cycle it
//! leaves idle: nothing is reserved, and an idle worker scores as fast as
//! before. Measured by `make bench`'s overload row on 2 shared cores, the
//! worker's own time to refuse a call at twice its saturation rate
//! (`scoring_shed_duration_seconds`) went from a mean of 6.1 and 7.6 ms
//! (p99 38 and 40 ms) in two runs at equal priority to 0.13 ms (p99 6.3 ms).
//!
//! Only ever lowered: an unprivileged process may always raise its nice
//! value, and `CAP_SYS_NICE`, which lowering it back would need, is never
//! asked for. Linux keeps the nice value per thread, which is what lets one
//! pool run below the other.
//!
//! Nothing but admitted work may run lowered. A thread keeps its nice value
//! for life and hands it to the threads it starts, so lowering a thread of
//! tokio's blocking pool, which the runtime reuses for any blocking task
//! (name lookups of the OTLP exporter's HTTP client, file reads) and which
//! starts more of them, would leave work at the lower priority that was never
//! meant to be. Big calls therefore decode on a blocking pool of their own
//! ([`spawn_admitted`]), whose every thread is lowered as it starts, and the
//! runtime's blocking pool keeps the process's priority.

/// The nice value of the threads doing admitted work (0 is the default;
/// 19 the lowest priority).
pub const ADMITTED_WORK_NICE: i32 = 10;

/// Lowers the calling thread to [`ADMITTED_WORK_NICE`], once per thread.
///
/// # Errors
/// The OS error of `setpriority(2)`; the thread then keeps its priority.
#[cfg(target_os = "linux")]
pub fn lower_current_thread() -> std::io::Result<()> {
    use std::cell::Cell;
    thread_local! {
        static LOWERED: Cell<bool> = const { Cell::new(false) };
    }
    if LOWERED.get() {
        return Ok(());
    }
    // PRIO_PROCESS with a thread id reads and sets that thread alone on
    // Linux. A process started nicer still (`nice -n 15`) stays so.
    let tid = Some(rustix::thread::gettid());
    if rustix::process::getpriority_process(tid)? < ADMITTED_WORK_NICE {
        rustix::process::setpriority_process(tid, ADMITTED_WORK_NICE)?;
    }
    LOWERED.set(true);
    Ok(())
}

/// Elsewhere the nice value is per process: nothing is changed.
///
/// # Errors
/// None.
#[cfg(not(target_os = "linux"))]
pub fn lower_current_thread() -> std::io::Result<()> {
    Ok(())
}

/// [`lower_current_thread`], logging a failure once: the worker runs on at
/// equal priority, which costs refusal latency under overload, not
/// correctness.
pub fn lower_current_thread_or_warn() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if let Err(error) = lower_current_thread() {
        WARNED.call_once(|| {
            tracing::warn!(%error, nice = ADMITTED_WORK_NICE, "cannot lower the priority of the scoring threads");
        });
    }
}

/// Runs `work`, admitted work that blocks, on a thread of a blocking pool
/// whose threads all run at [`ADMITTED_WORK_NICE`]. Admission bounds how many
/// run at once; idle threads end after tokio's keep-alive, as the runtime's do.
pub fn spawn_admitted<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> tokio::task::JoinHandle<R> {
    static POOL: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        // Only its blocking pool is used: nothing drives its (single) task
        // queue, and nothing is spawned on it.
        tokio::runtime::Builder::new_current_thread()
            .thread_name("admitted")
            .on_thread_start(lower_current_thread_or_warn)
            .build()
            .expect("the admitted-work pool starts")
    })
    .spawn_blocking(work)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value, read back from the kernel.
    fn nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
    }

    #[test]
    fn lowers_only_the_calling_thread() {
        let before = nice();
        let lowered = std::thread::spawn(|| {
            lower_current_thread().unwrap();
            lower_current_thread().unwrap(); // once per thread: no error the second time
            nice()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, ADMITTED_WORK_NICE.max(before));
        assert_eq!(nice(), before, "the test thread keeps its priority");
    }

    #[tokio::test]
    async fn admitted_work_runs_lowered_and_other_blocking_work_does_not() {
        let before = nice();
        let admitted = spawn_admitted(nice).await.unwrap();
        assert_eq!(admitted, ADMITTED_WORK_NICE.max(before));
        let blocking = tokio::task::spawn_blocking(nice).await.unwrap();
        assert_eq!(blocking, before);
    }
}
