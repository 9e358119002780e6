//! Drives wrk (Debian's `/usr/bin/wrk`): a Lua script per request shape, and a defensive
//! parser of its `--latency` report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

/// What each request of a run looks like.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body (GET).
    None,
    /// The same bytes every time, read from this file, with this content type.
    Fixed {
        /// The body file (read once by each wrk thread).
        file: PathBuf,
        /// The `Content-Type` header.
        content_type: String,
    },
    /// `PREFIX` + a phone number unique to the request + `SUFFIX`, form-encoded: each
    /// request names a new contact.
    UniquePhone {
        /// The form before the phone digits, e.g. `provider=whatsapp&text=Hi&phone=`.
        prefix: String,
        /// Leading digits of every phone of this run, unique to the run.
        run_digits: String,
    },
    /// Each request to the next of `paths` (every wrk thread starting at a different
    /// one), with the same body every time when `fixed` is given (file, content type).
    Spread {
        /// Paths and queries, starting with `/`.
        paths: Vec<String>,
        /// The body file and its `Content-Type`; no body when `None`.
        fixed: Option<(PathBuf, String)>,
    },
}

/// One load run: a method and path against a base URL.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path and query, starting with `/`.
    pub path: String,
    /// Extra headers (the API token).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

/// How hard and how long to drive.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Open connections.
    pub connections: u32,
    /// Duration (whole seconds for wrk).
    pub duration: Duration,
}

/// What a run measured.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Outcome {
    /// Requests completed.
    pub requests: u64,
    /// Requests per second over the run.
    pub requests_per_sec: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
    /// Answers that were not 2xx or 3xx.
    pub non_2xx: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
}

impl Outcome {
    /// Every failed request: non-2xx answers and socket errors.
    pub fn errors(&self) -> u64 {
        self.non_2xx + self.socket_errors
    }
}

/// A Lua string literal holding `text` exactly.
fn lua_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for b in text.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            // Decimal escapes are Lua 5.1's (wrk's LuaJIT) only byte escapes.
            other => {
                let _ = write!(out, "\\{other:03}");
            }
        }
    }
    out.push('"');
    out
}

/// The Lua script that shapes every request of `request`.
fn script(request: &Request) -> String {
    let mut lua = String::new();
    let _ = writeln!(lua, "wrk.method = {}", lua_string(request.method));
    let _ = writeln!(lua, "wrk.path = {}", lua_string(&request.path));
    for (name, value) in &request.headers {
        let _ = writeln!(
            lua,
            "wrk.headers[{}] = {}",
            lua_string(name),
            lua_string(value)
        );
    }
    match &request.body {
        Body::None => {}
        Body::Fixed { file, content_type } => {
            let _ = writeln!(
                lua,
                "wrk.headers[\"Content-Type\"] = {}",
                lua_string(content_type)
            );
            let _ = writeln!(
                lua,
                "local f = assert(io.open({}, \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()",
                lua_string(&file.to_string_lossy())
            );
        }
        Body::UniquePhone { prefix, run_digits } => {
            let _ = writeln!(
                lua,
                "wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\""
            );
            // Each wrk thread has its own Lua state: number the threads in setup() so
            // their counters never give two requests the same phone.
            let _ = write!(
                lua,
                r#"local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local counter = 0
function request()
  counter = counter + 1
  local body = {prefix} .. {run} .. string.format("%d%07d", tid or 0, counter)
  return wrk.format(nil, nil, nil, body)
end
"#,
                prefix = lua_string(prefix),
                run = lua_string(run_digits),
            );
        }
        Body::Spread { paths, fixed } => {
            if let Some((file, content_type)) = fixed {
                let _ = writeln!(
                    lua,
                    "wrk.headers[\"Content-Type\"] = {}",
                    lua_string(content_type)
                );
                let _ = writeln!(
                    lua,
                    "local f = assert(io.open({}, \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()",
                    lua_string(&file.to_string_lossy())
                );
            }
            lua.push_str("local paths = {\n");
            for path in paths {
                let _ = writeln!(lua, "  {},", lua_string(path));
            }
            // Threads start far apart in the list, so they do not walk it in step.
            lua.push_str(
                r#"}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local next_path = nil
function request()
  if next_path == nil then
    next_path = ((tid or 0) * 7919) % #paths
  end
  next_path = next_path % #paths + 1
  return wrk.format(nil, paths[next_path])
end
"#,
            );
        }
    }
    lua
}

/// Runs wrk against `base` (e.g. `http://127.0.0.1:8080`) with `request`, writing its
/// script into `work_dir`.
pub async fn run(
    base: &str,
    request: &Request,
    load: Load,
    work_dir: &Path,
) -> anyhow::Result<Outcome> {
    let script_path = work_dir.join("request.lua");
    tokio::fs::write(&script_path, script(request))
        .await
        .with_context(|| format!("writing {}", script_path.display()))?;
    let seconds = load.duration.as_secs().max(1);
    let output = tokio::process::Command::new("wrk")
        // wrk refuses fewer connections than threads.
        .arg(format!("-t{}", load.connections.min(2)))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{seconds}s"))
        // Slow uploads must count in the latency, not vanish as timeouts after wrk's 2 s.
        .arg("--timeout")
        .arg("30s")
        .arg("--latency")
        .arg("-s")
        .arg(&script_path)
        .arg(format!("{base}{}", request.path))
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk (is /usr/bin/wrk installed?)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed ({}): {}{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&stdout).with_context(|| format!("reading wrk's report:\n{stdout}"))
}

/// A wrk duration such as `250.00us`, `5.12ms`, `1.02s` or `1.00m`, in milliseconds.
fn parse_latency(text: &str) -> anyhow::Result<f64> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| anyhow::anyhow!("latency {text:?} has no unit"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("latency {text:?} is not a number"))?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        other => anyhow::bail!("latency {text:?} has an unknown unit {other:?}"),
    };
    Ok(value * factor)
}

/// The value after `key` on the first line that starts with it (after indentation).
fn line_value<'a>(report: &'a str, key: &str) -> Option<&'a str> {
    report
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(key))
        .map(str::trim)
}

/// Parses wrk's `--latency` report; a missing line is an error naming it.
pub fn parse(report: &str) -> anyhow::Result<Outcome> {
    let requests_per_sec: f64 = line_value(report, "Requests/sec:")
        .ok_or_else(|| anyhow::anyhow!("no \"Requests/sec:\" line"))?
        .parse()
        .context("\"Requests/sec:\" is not a number")?;
    let percentile = |key: &str| -> anyhow::Result<f64> {
        let value = line_value(report, key)
            .ok_or_else(|| anyhow::anyhow!("no {key:?} line in the latency distribution"))?;
        parse_latency(value)
    };
    let p50_ms = percentile("50%")?;
    let p99_ms = percentile("99%")?;
    // "  123456 requests in 10.10s, 13.50MB read"
    let requests = report
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .ok_or_else(|| anyhow::anyhow!("no \"N requests in\" line"))?
        .parse()
        .context("the request count is not a number")?;
    let non_2xx = match line_value(report, "Non-2xx or 3xx responses:") {
        Some(v) => v
            .parse()
            .context("\"Non-2xx or 3xx responses\" is not a number")?,
        None => 0,
    };
    // "Socket errors: connect 0, read 0, write 0, timeout 0"
    let socket_errors = match line_value(report, "Socket errors:") {
        Some(v) => v
            .split(',')
            .map(|part| {
                part.split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or_else(|| anyhow::anyhow!("socket errors {v:?} are unreadable"))
            })
            .sum::<anyhow::Result<u64>>()?,
        None => 0,
    };
    Ok(Outcome {
        requests,
        requests_per_sec,
        p50_ms,
        p99_ms,
        non_2xx,
        socket_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:8080/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  12.92ms   93.69%
    Req/Sec    56.20k     8.07k   62.89k    86.00%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    5.00ms
  1123659 requests in 10.10s, 136.30MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec: 111255.92
Transfer/sec:     13.50MB
";

    #[test]
    fn parses_a_full_report() {
        let o = parse(REPORT).unwrap();
        assert_eq!(o.requests, 1_123_659);
        assert!((o.requests_per_sec - 111_255.92).abs() < 1e-6);
        assert!((o.p50_ms - 0.25).abs() < 1e-9);
        assert!((o.p99_ms - 5.0).abs() < 1e-9);
        assert_eq!(o.non_2xx, 12);
        assert_eq!(o.socket_errors, 5);
        assert_eq!(o.errors(), 17);
    }

    #[test]
    fn missing_lines_are_named() {
        let no_p99 = REPORT.replace("     99%    5.00ms\n", "");
        let err = parse(&no_p99).unwrap_err().to_string();
        assert!(err.contains("99%"), "{err}");
        let no_rate = REPORT.replace("Requests/sec: 111255.92\n", "");
        assert!(
            parse(&no_rate)
                .unwrap_err()
                .to_string()
                .contains("Requests/sec")
        );
    }

    #[test]
    fn latency_units() {
        assert!((parse_latency("1.50s").unwrap() - 1500.0).abs() < 1e-9);
        assert!((parse_latency("2.00m").unwrap() - 120_000.0).abs() < 1e-9);
        assert!(parse_latency("3.0parsecs").is_err());
        assert!(parse_latency("12").is_err());
    }

    #[test]
    fn lua_strings_escape() {
        assert_eq!(lua_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\010\"");
    }

    #[test]
    fn scripts_number_threads_for_unique_phones() {
        let lua = script(&Request {
            method: "POST",
            path: "/p1/companies/1/conversations".to_owned(),
            headers: vec![("X-Private-Api-Token".to_owned(), "t".to_owned())],
            body: Body::UniquePhone {
                prefix: "phone=".to_owned(),
                run_digits: "8123".to_owned(),
            },
        });
        assert!(lua.contains("thread:set(\"tid\", threads)"));
        assert!(lua.contains("wrk.headers[\"X-Private-Api-Token\"] = \"t\""));
    }

    #[test]
    fn spread_scripts_list_every_path() {
        let lua = script(&Request {
            method: "GET",
            path: "/a".to_owned(),
            headers: Vec::new(),
            body: Body::Spread {
                paths: vec!["/a".to_owned(), "/b".to_owned()],
                fixed: None,
            },
        });
        assert!(lua.contains("  \"/a\",\n  \"/b\",\n}"));
        assert!(lua.contains("wrk.format(nil, paths[next_path])"));
    }
}
