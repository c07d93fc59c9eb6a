//! A bounded load run against the `serve` example: C clients post an event log in batches of
//! whole users, then each fetches per-conversion credit; prints events/s and latency
//! percentiles.
//!
//! ```text
//! cargo run --release --example generate -- --events 100000 --jsonl --seed 3 -o /tmp/ev.jsonl
//! cargo run --release --features serve --example serve -- --addr 127.0.0.1:8080 --lateness 1000d &
//! cargo run --release --features serve --example serve_load -- --addr 127.0.0.1:8080 /tmp/ev.jsonl
//! ```

use std::time::{Duration, Instant};

use clap::Parser;

#[path = "common/http.rs"]
mod http;

/// Posts an event log to a running `serve` and reports throughput and latency.
#[derive(Parser, Debug)]
#[command(name = "serve_load")]
struct Cli {
    /// The event log (JSON Lines, grouped by user, as `generate --events N --jsonl` writes it).
    log: String,
    /// The service.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Events per request (batches end at a user boundary).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Model fitted, then queried for every conversion.
    #[arg(long, default_value = "markov")]
    model: String,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn report(what: &str, n: usize, unit: &str, wall: Duration, mut lat: Vec<Duration>) {
    lat.sort();
    println!(
        "{what}: {} requests, {n} {unit} in {:.2} s = {:.0} {unit}/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
    );
}

/// Runs `work` on `clients` threads, each over its own connection, collecting latencies.
fn run_clients<T: Sync>(
    cli: &Cli,
    items: &[T],
    work: impl Fn(&mut http::Client, &T) -> Result<(), String> + Sync,
) -> Result<(Duration, Vec<Duration>), String> {
    let start = Instant::now();
    let lat = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cli.clients)
            .map(|t| {
                let work = &work;
                s.spawn(move || -> Result<Vec<Duration>, String> {
                    let mut c = http::Client::connect(&cli.addr).map_err(|e| e.to_string())?;
                    let mut lat = Vec::new();
                    for item in items.iter().skip(t).step_by(cli.clients) {
                        let t0 = Instant::now();
                        work(&mut c, item)?;
                        lat.push(t0.elapsed());
                    }
                    Ok(lat)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| "client panicked".to_string())??);
        }
        Ok::<_, String>(all)
    })?;
    Ok((start.elapsed(), lat))
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// The `user_id` field's text in a JSON Lines event (batches end where it changes).
fn user(line: &str) -> Option<&str> {
    line.split("\"user_id\":")
        .nth(1)
        .and_then(|r| r.split(',').next())
}

fn run(cli: &Cli) -> Result<(), String> {
    let text = std::fs::read_to_string(&cli.log).map_err(|e| format!("{}: {e}", cli.log))?;
    let mut batches: Vec<(String, usize)> = Vec::new();
    let mut last = None;
    for line in text.lines() {
        let u = user(line);
        match batches.last_mut() {
            Some((b, n)) if *n < cli.batch || u == last => {
                b.push_str(line);
                b.push('\n');
                *n += 1;
            }
            _ => batches.push((format!("{line}\n"), 1)),
        }
        last = u;
    }
    let events: usize = batches.iter().map(|b| b.1).sum();
    let (wall, lat) = run_clients(cli, &batches, |c, (b, _)| {
        let (s, body) = c
            .request("POST", "/events", b.as_bytes())
            .map_err(|e| e.to_string())?;
        (s == 200).then_some(()).ok_or(format!("{s}: {body}"))
    })?;
    report("POST /events", events, "events", wall, lat);

    let mut c = http::Client::connect(&cli.addr).map_err(|e| e.to_string())?;
    c.request("POST", "/flush", b"")
        .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (s, body) = c
        .request("POST", &format!("/fit?model={}", cli.model), b"")
        .map_err(|e| e.to_string())?;
    if s != 200 {
        return Err(format!("fit: {s}: {body}"));
    }
    println!(
        "POST /fit?model={}: {:.1} ms ({body})",
        cli.model,
        t0.elapsed().as_secs_f64() * 1e3
    );

    // The conversion ids the service generates for a log without order_id: `<user>@<µs>`.
    let ids: Vec<String> = text
        .lines()
        .filter(|l| l.contains("\"conversion\":1"))
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let t = chrono::DateTime::parse_from_rfc3339(v["timestamp"].as_str()?).ok()?;
            Some(format!(
                "{}@{}",
                v["user_id"].as_str()?,
                t.timestamp_micros()
            ))
        })
        .collect();
    let (wall, lat) = run_clients(cli, &ids, |c, id| {
        let path = format!("/conversions/{id}?model={}", cli.model);
        let (s, body) = c.request("GET", &path, b"").map_err(|e| e.to_string())?;
        // 404: a conversion without touches in its window (unattributed), not a journey.
        (s == 200 || s == 404)
            .then_some(())
            .ok_or(format!("{s}: {body}"))
    })?;
    report("GET /conversions", ids.len(), "conversions", wall, lat);
    Ok(())
}
