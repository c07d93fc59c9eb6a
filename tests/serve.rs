//! The `serve` example as a real service: started on 127.0.0.1, fed a seeded event log in
//! concurrent batches, its per-conversion and aggregate answers compared with the batch CLI's
//! (`attribute --events --nulls windowed`), and bad requests answered with 4xx, never a crash.
//! Needs `--features serve` (`cargo test --features serve --test serve`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

#[path = "../examples/common/http.rs"]
mod http;

const MODELS: [&str; 3] = ["markov", "linear", "time_decay"];

/// The optional features this test was built with, so that the examples it runs are built with
/// the same ones (and reuse its build of the library instead of compiling another).
fn features() -> String {
    let optional = [
        ("arrow", cfg!(feature = "arrow")),
        ("parquet", cfg!(feature = "parquet")),
        ("plot", cfg!(feature = "plot")),
        ("datafusion", cfg!(feature = "datafusion")),
    ];
    let mut on = vec!["serve"];
    on.extend(optional.iter().filter(|(_, on)| *on).map(|(name, _)| *name));
    on.join(",")
}

/// target/<profile>/examples, with the examples this test runs built as this test was.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--features", &features()])
        .args([
            "--example",
            "serve",
            "--example",
            "generate",
            "--example",
            "attribute",
        ])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(profile_dir.parent().unwrap());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cargo.arg("--release");
    }
    assert!(cargo.status().unwrap().success(), "cargo build --examples");
    profile_dir.join("examples")
}

/// The running service; killed when dropped.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path) -> Server {
    let mut child = Command::new(dir.join("serve"))
        .args(["--addr", "127.0.0.1:0", "--lateness", "1000d"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    Server(child, addr)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn service_answers_equal_the_batch_cli_and_bad_requests_get_4xx() {
    let dir = examples_dir();
    let tmp = std::env::temp_dir().join(format!("touchpoint-serve-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let log = tmp.join("events.jsonl");
    let generated = Command::new(dir.join("generate"))
        .args(["--events", "20000", "--jsonl", "--seed", "11", "-q", "-o"])
        .arg(&log)
        .status()
        .unwrap();
    assert!(generated.success());

    let server = start(&dir);
    let addr = server.1.clone();
    let mut c = http::Client::connect(&addr).unwrap();

    // Bad requests: 4xx with the library's message, and the service stays up.
    let (s, body) = c.request("POST", "/events", b"{\"user_id\": 1,").unwrap();
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("line 1"), "{body}");
    let (s, _) = c.request("POST", "/fit?model=no_such_model", b"").unwrap();
    assert_eq!(s, 400);
    let (s, _) = c.request("POST", "/fit", b"").unwrap();
    assert_eq!(s, 400);
    let (s, body) = c.request("POST", "/fit?model=markov", b"").unwrap();
    assert_eq!(s, 409, "no conversions yet: {body}");
    let (s, _) = c
        .request("GET", "/conversions/x?model=linear", b"")
        .unwrap();
    assert_eq!(s, 404);

    // The log in batches of whole users, sent by 8 clients at once.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut batches: Vec<String> = Vec::new();
    let mut last_user = String::new();
    for line in text.lines() {
        let user = serde_json::from_str::<Value>(line).unwrap()["user_id"].to_string();
        if batches.is_empty() || (user != last_user && batches.last().unwrap().len() > 20_000) {
            batches.push(String::new());
        }
        let b = batches.last_mut().unwrap();
        b.push_str(line);
        b.push('\n');
        last_user = user;
    }
    assert!(batches.len() > 16);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (addr, batches) = (&addr, &batches);
            s.spawn(move || {
                let mut c = http::Client::connect(addr).unwrap();
                for b in batches.iter().skip(t).step_by(8) {
                    let (status, body) = c.request("POST", "/events", b.as_bytes()).unwrap();
                    assert_eq!(status, 200, "{body}");
                    let v: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(v["late"], 0);
                }
            });
        }
    });
    assert_eq!(c.request("POST", "/flush", b"").unwrap().0, 200);
    for m in MODELS {
        let (s, body) = c.request("POST", &format!("/fit?model={m}"), b"").unwrap();
        assert_eq!(s, 200, "{body}");
    }

    // The batch CLI on the same log.
    let per_touch = tmp.join("per_touch.csv");
    let out = Command::new(dir.join("attribute"))
        .args(["--events"])
        .arg(&log)
        .args([
            "--nulls",
            "windowed",
            "--models",
            &MODELS.join(","),
            "--format",
            "json",
            "-q",
        ])
        .arg("--per-touch")
        .arg(&per_touch)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();

    for (m, cli_model) in MODELS.iter().zip(cli["models"].as_array().unwrap()) {
        let (s, body) = c
            .request("GET", &format!("/attribution?model={m}"), b"")
            .unwrap();
        assert_eq!(s, 200);
        let served: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(served["total_conversions"], cli["total_conversions"]);
        let served = &served["models"][0]["channels"];
        for (a, b) in served
            .as_array()
            .unwrap()
            .iter()
            .zip(cli_model["channels"].as_array().unwrap())
        {
            assert_eq!(a["channel"], b["channel"]);
            for k in ["conversions", "value"] {
                let (x, y) = (a[k].as_f64().unwrap(), b[k].as_f64().unwrap());
                assert!(close(x, y), "{m} {}: {k} {x} != {y}", a["channel"]);
            }
        }
    }

    // Every conversion, under every model: the CLI's per-touch rows.
    let mut rows: HashMap<(String, String), Vec<csv::StringRecord>> = HashMap::new();
    for rec in csv::Reader::from_path(&per_touch).unwrap().records() {
        let rec = rec.unwrap();
        rows.entry((rec[0].to_string(), rec[2].to_string()))
            .or_default()
            .push(rec);
    }
    assert!(
        rows.len() > 100 * MODELS.len(),
        "{} conversions",
        rows.len()
    );
    for ((model, id), expected) in &rows {
        let (s, body) = c
            .request("GET", &format!("/conversions/{id}?model={model}"), b"")
            .unwrap();
        assert_eq!(s, 200, "{body}");
        let got: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(got.len(), expected.len(), "{model} {id}");
        for (g, e) in got.iter().zip(expected) {
            assert_eq!(g["channel"], e[6]);
            assert_eq!(g["user_id"], e[1]);
            assert_eq!(g["touch_index"], e[4].parse::<u64>().unwrap());
            assert_eq!(g["touch_time"], e[5]);
            assert!(
                close(g["credit"].as_f64().unwrap(), e[7].parse().unwrap()),
                "{model} {id}"
            );
            assert!(
                close(g["value"].as_f64().unwrap(), e[8].parse().unwrap()),
                "{model} {id}"
            );
        }
    }
    drop(server);
    std::fs::remove_dir_all(&tmp).ok();
}
