//! What `/proc` tells about a process (CPU time, memory) and about the machine (idleness),
//! and the disk's fdatasync rate.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// CPU time (user + system, all threads) a process has used, in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/stat has no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let field = |i: usize, name: &str| -> anyhow::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/stat has no {name}"))
    };
    Ok(field(11, "utime")? + field(12, "stime")?)
}

/// CPU ticks of every process whose command name is `name`, by pid: the database
/// server's processes (PostgreSQL runs a process per connection).
pub fn cpu_ticks_named(name: &str) -> HashMap<u32, u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        // A process that ended between the listing and the read simply drops out.
        .filter_map(|pid| Some((pid, cpu_ticks(pid).ok()?)))
        .collect()
}

/// Ticks the processes of `after` used since `before` (new processes: all of theirs).
pub fn ticks_between(before: &HashMap<u32, u64>, after: &HashMap<u32, u64>) -> u64 {
    after
        .iter()
        .map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or(0)))
        .sum()
}

/// CPU time of each thread of a process, in ns, by thread id (`/proc/PID/task/*/schedstat`,
/// whose first field is the time on a CPU: finer than the clock ticks of `stat`, for short
/// windows of little work).
pub fn thread_cpu_ns(pid: u32) -> anyhow::Result<HashMap<u32, u64>> {
    let dir = format!("/proc/{pid}/task");
    let entries = std::fs::read_dir(&dir).with_context(|| format!("reading {dir}"))?;
    Ok(entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|tid| {
            let text = std::fs::read_to_string(format!("{dir}/{tid}/schedstat")).ok()?;
            Some((tid, text.split_whitespace().next()?.parse().ok()?))
        })
        .collect())
}

/// Memory figures of a process from `/proc/PID/status`, in KiB.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    /// Resident set size now.
    pub rss_kib: u64,
    /// Peak resident set size since start.
    pub hwm_kib: u64,
    /// Anonymous memory (heap, stacks) of the resident set.
    pub anon_kib: u64,
    /// File-backed pages (the binary, mmap'd database pages) of the resident set.
    pub file_kib: u64,
}

/// Reads the memory figures of `pid`.
pub fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib = |key: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/status has no {key}"))
    };
    Ok(Memory {
        rss_kib: kib("VmRSS:")?,
        hwm_kib: kib("VmHWM:")?,
        anon_kib: kib("RssAnon:")?,
        file_kib: kib("RssFile:")?,
    })
}

/// Samples a process's RSS every 50 ms until stopped; [`RssSampler::stop`] gives the peak.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let (stop, peak) = (stop.clone(), peak.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(m) = memory(pid) {
                        peak.fetch_max(m.rss_kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
        Self { stop, peak, task }
    }

    /// Stops sampling (after one last sample) and returns the peak RSS in KiB.
    pub async fn stop(self, pid: u32) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        // A task that panicked has still recorded every sample it took.
        let _ = self.task.await;
        if let Ok(m) = memory(pid) {
            self.peak.fetch_max(m.rss_kib, Ordering::Relaxed);
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// Busy and total jiffies of all CPUs from the first line of `/proc/stat`.
fn cpu_jiffies() -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat
        .lines()
        .next()
        .filter(|l| l.starts_with("cpu "))
        .ok_or_else(|| anyhow::anyhow!("/proc/stat has no cpu line"))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("parsing the cpu line of /proc/stat")?;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Ok((total.saturating_sub(idle), total))
}

/// CPU ticks of `pids` together (a process that has ended counts 0).
fn ticks_of(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&pid| cpu_ticks(pid).ok()).sum()
}

/// The fraction of all CPUs that was idle over `window`, not counting the CPU `exclude`
/// used (`/proc/stat` and `/proc/PID/stat` both count in clock ticks).
pub async fn idle_fraction(window: Duration, exclude: &[u32]) -> anyhow::Result<f64> {
    let (busy0, total0) = cpu_jiffies()?;
    let excluded0 = ticks_of(exclude);
    tokio::time::sleep(window).await;
    let (busy1, total1) = cpu_jiffies()?;
    let excluded = ticks_of(exclude).saturating_sub(excluded0);
    let total = total1.saturating_sub(total0);
    if total == 0 {
        return Ok(1.0);
    }
    let busy = busy1.saturating_sub(busy0).saturating_sub(excluded);
    Ok(1.0 - busy as f64 / total as f64)
}

/// Waits until the machine is at least 90 % idle over one second (less when `max_wait`
/// is shorter), for at most `max_wait`; returns the last idle fraction seen (below 0.9
/// when the wait ran out), so a report can say a run shared the CPUs with something else.
///
/// The CPU of `exclude` (the servers under test) does not count: their leftover work
/// (queued deliveries) is theirs to report, and waiting for it would never end.
pub async fn wait_for_idle(max_wait: Duration, exclude: &[u32]) -> anyhow::Result<f64> {
    const IDLE: f64 = 0.9;
    let deadline = Instant::now() + max_wait;
    loop {
        let window = Duration::from_secs(1).min(max_wait.max(Duration::from_millis(200)));
        let idle = idle_fraction(window, exclude).await?;
        if idle >= IDLE || Instant::now() >= deadline {
            return Ok(idle);
        }
    }
}

/// How many 4 KiB write + fdatasync rounds per second a file in `dir` takes: the ceiling
/// of durable single commits on that disk right now (it drifts a lot on these VMs).
pub async fn fdatasync_rate(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = dir.join(".confab-bench-fdatasync-probe");
    tokio::task::spawn_blocking(move || {
        let result = probe(&path, duration);
        // A leftover probe file is only 4 KiB, so a failed removal is not worth an error.
        let _ = std::fs::remove_file(&path);
        result
    })
    .await
    .context("the fdatasync probe panicked")?
}

fn probe(path: &Path, duration: Duration) -> anyhow::Result<f64> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    let block = [0x5au8; 4096];
    // The first write extends the file; later ones overwrite it, so each fdatasync flushes
    // data only, like a reused WAL segment.
    file.write_all(&block)?;
    file.sync_all()?;
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < duration {
        file.write_all_at(&block, 0)
            .with_context(|| format!("writing {}", path.display()))?;
        file.sync_data()
            .with_context(|| format!("fdatasync of {}", path.display()))?;
        rounds += 1;
    }
    Ok(rounds as f64 / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_figures() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_ok());
        assert!(!thread_cpu_ns(pid).unwrap().is_empty());
        let m = memory(pid).unwrap();
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
        assert!(clock_ticks_per_second() > 0);
    }

    #[tokio::test]
    async fn fdatasync_probe_counts_rounds() {
        let dir = tempfile::tempdir().unwrap();
        let rate = fdatasync_rate(dir.path(), Duration::from_millis(100))
            .await
            .unwrap();
        assert!(rate > 0.0);
        assert!(!dir.path().join(".confab-bench-fdatasync-probe").exists());
    }
}
