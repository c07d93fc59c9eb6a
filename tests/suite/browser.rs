//! The HTML report in a real browser: Debian's headless Chromium, driven through the DevTools
//! protocol over a pipe (`--remote-debugging-pipe`: NUL-terminated JSON messages on the
//! browser's file descriptors 3 and 4, which a shell wires to its stdin and stdout). Checks that the page raises no console error, that every chart
//! rendered, that every number in its tables equals the `--format json` (and `--path-stats`)
//! output of the same `attribute` run, that the model selects and the sortable headers work,
//! that hostile channel names stay text, and that a screenshot is not blank.
//!
//! Without Chromium (`/usr/bin/chromium`, or the path in `$CHROMIUM`) the tests print why and
//! pass, unless `CI` is set: then a missing browser is a failure. With
//! `TOUCHPOINT_UPDATE_SCREENSHOT=1` the screenshot also replaces `docs/report.png`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use touchpoint::analytics::{PathStats, PathStatsOptions};
use touchpoint::html::{HtmlReport, write_html};
use touchpoint::{AttributionModel, LastTouch, Linear, Outcome, PathTable};

use crate::common;

const EVENTS: &str = "examples/data/sample_events.csv";
const SPEND: &str = "examples/data/sample_spend.csv";
const MODELS: &str = "last_touch,first_touch,linear,position_based,markov,shapley";

/// The browser to use, or `None` (after saying why) when the test should be skipped.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but there is no Chromium at {} (.ci/run installs Debian's `chromium`)",
        path.display()
    );
    println!(
        "skipped: no Chromium at {} (apt-get install chromium, or set CHROMIUM)",
        path.display()
    );
    None
}

/// A fresh scratch directory under the test target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// A headless Chromium with one page, driven over the DevTools protocol.
struct Browser {
    child: Child,
    /// Commands to the browser (its file descriptor 3).
    commands: ChildStdin,
    /// Messages from the browser (its file descriptor 4), read by a thread.
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events received while waiting for answers.
    events: Vec<Value>,
}

impl Browser {
    fn launch(exe: &Path, profile: &Path) -> Browser {
        // The shell gives Chromium our pipes as its descriptors 3 (commands in) and 4
        // (messages out), and nothing on its own stdin and stdout.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let commands = child.stdin.take().expect("piped stdin");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(out);
            let mut buf = Vec::new();
            while out.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                let v: Value = serde_json::from_slice(&buf).expect("DevTools sends JSON");
                if tx.send(v).is_err() {
                    return;
                }
                buf.clear();
            }
        });
        let mut b = Browser {
            child,
            commands,
            messages,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = b.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            b.call(domain, json!({}));
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn send(&mut self, method: &str, params: Value, session: Option<String>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s);
        }
        self.write(&msg);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let v = self.next_message(deadline, method);
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    /// One command, NUL-terminated.
    fn try_write(&mut self, msg: &Value) -> std::io::Result<()> {
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.commands.write_all(&bytes)?;
        self.commands.flush()
    }

    fn write(&mut self, msg: &Value) {
        self.try_write(msg).expect("send to DevTools");
    }

    /// The next message from the browser, waited for until `deadline` (`what` names the wait).
    fn next_message(&mut self, deadline: Instant, what: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("{what}: nothing from DevTools in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("{what}: the browser closed its pipe"),
        }
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.send(method, params, Some(s))
    }

    /// Waits for an event of the page (or returns one already received).
    fn wait_event(&mut self, method: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let v = self.next_message(deadline, method);
            if v["method"] == method {
                return v;
            }
            self.events.push(v);
        }
    }

    fn open(&mut self, file: &Path) {
        let url = format!(
            "file://{}",
            file.canonicalize().expect("page path").display()
        );
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event("Page.loadEventFired");
    }

    /// Evaluates `js` (which must produce a JSON string) in the page.
    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{js}: {r}");
        let s = r["result"]["value"].as_str().expect("a JSON string");
        serde_json::from_str(s).expect("JSON from the page")
    }

    /// Console errors, uncaught exceptions, error log entries and dialogs seen so far.
    fn problems(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                let m = e["method"].as_str().unwrap_or_default();
                (m == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
                    || m == "Runtime.exceptionThrown"
                    || m == "Page.javascriptDialogOpening"
                    || (m == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
            })
            .map(Value::to_string)
            .collect()
    }

    fn screenshot(&mut self, y: u32, height: u32) -> Vec<u8> {
        let r = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": y, "width": 1366, "height": height, "scale": 1}
            }),
        );
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            r["data"].as_str().expect("base64 PNG"),
        )
        .expect("valid base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask the browser to quit; kill our child only if it does not.
        let id = self.next_id + 1;
        let _ = self.try_write(&json!({"id": id, "method": "Browser.close"}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the page's number cells say, its charts and the comparison pair.
const COLLECT: &str = r#"JSON.stringify({
  cells: Array.from(document.querySelectorAll("td[data-t]")).map(function (td) {
    return {t: td.dataset.t, m: td.dataset.m === undefined ? null : td.dataset.m,
            row: td.dataset.row, f: td.dataset.f, v: td.dataset.v, text: td.textContent};
  }),
  charts: Array.from(document.querySelectorAll("svg.chart")).map(function (s) {
    var r = s.getBoundingClientRect();
    return {shapes: s.querySelectorAll("rect,path,line").length, w: r.width, h: r.height,
            shown: s.checkVisibility()};
  }),
  pair: [document.getElementById("cmp-table").dataset.ref, document.getElementById("cmp-table").dataset.cmp]
})"#;

/// The number a cell shows, in the unit of its raw value, and the rounding of the display
/// (half a unit of its last digit); `None` for an en dash.
fn shown(text: &str, field: &str) -> Option<(f64, f64)> {
    if text == "–" {
        return None;
    }
    let pp = text.ends_with(" pp");
    let percent = text.ends_with('%');
    let clean: String = text
        .replace('−', "-")
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    let x: f64 = clean
        .parse()
        .unwrap_or_else(|_| panic!("cell text `{text}`"));
    let decimals = clean.split_once('.').map_or(0, |(_, f)| f.len());
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    // Shares and rates show as percentages of a fraction; a relative change is already one.
    if (percent && !field.starts_with("pct_change")) || pp {
        Some((x / 100.0, half / 100.0))
    } else {
        Some((x, half))
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn find<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|x| x[key] == name))
        .unwrap_or_else(|| panic!("no {key} `{name}` in {list}"))
}

/// What the JSON outputs say a cell of the page should hold.
fn expected(cell: &Value, out: &Value, paths: &Value, pair: (&str, &str)) -> Option<f64> {
    let (t, f, row) = (
        cell["t"].as_str().unwrap(),
        cell["f"].as_str().unwrap(),
        cell["row"].as_str().unwrap(),
    );
    let model = |m: &str| find(&out["models"], "model", m);
    let channel = |m: &str| find(&model(m)["channels"], "channel", row).clone();
    let m = cell["m"].as_str().unwrap_or_default();
    match t {
        "credit" => num(&channel(m)[f]),
        "credit-sum" => Some(
            model(m)["channels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c[f].as_f64().unwrap())
                .sum(),
        ),
        "cmp" => {
            let (what, field) = f.split_once('_').unwrap();
            let field = field.strip_prefix("change_").unwrap_or(field);
            let get = |m: &str| {
                model(m)["channels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["channel"] == row)
                    .map_or(0.0, |c| c[field].as_f64().unwrap())
            };
            let (a, b) = (get(pair.0), get(pair.1));
            match what {
                "reference" => Some(a),
                "comparison" => Some(b),
                "delta" => Some(b - a),
                "pct" => (a != 0.0).then(|| 100.0 * (b - a) / a),
                _ => panic!("cmp field {f}"),
            }
        }
        "roas" => {
            let c = channel(m);
            match f.split_once('_') {
                Some((x, end)) => num(&c[format!("{x}_ci")][usize::from(end == "hi")]),
                None => num(&c[f]),
            }
        }
        "roas-total" => {
            let a = model(m);
            let cost: f64 = a["channels"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["cost"].as_f64())
                .sum();
            let (c, v) = (
                a["total_conversions"].as_f64().unwrap(),
                a["total_value"].as_f64().unwrap(),
            );
            match f {
                "cost" => Some(cost),
                "conversions" => Some(c),
                "value" => Some(v),
                "cpa" => (c > 0.0).then(|| cost / c),
                "roas" => (cost > 0.0).then(|| v / cost),
                _ => panic!("roas-total field {f}"),
            }
        }
        "path" => {
            let all: Vec<&Value> = ["top_paths", "top_paths_by_value", "top_paths_by_rate"]
                .iter()
                .flat_map(|k| paths[*k].as_array().unwrap())
                .collect();
            let p = all.iter().find(|p| p["path"] == row).expect("listed path");
            num(&p[f])
        }
        "len" => num(&find(&paths["path_length"], "label", row)[f]),
        "lag" => num(&find(&paths["time_lag"], "label", row)[f]),
        "role" => num(&find(&paths["channels"], "channel", row)[f]),
        _ => panic!("unknown cell kind {t}"),
    }
}

/// Checks every number cell of `page` against the JSON; returns how many per kind.
fn check_cells(
    page: &Value,
    out: &Value,
    paths: &Value,
) -> std::collections::BTreeMap<String, usize> {
    let pair = (
        page["pair"][0].as_str().unwrap(),
        page["pair"][1].as_str().unwrap(),
    );
    let mut kinds = std::collections::BTreeMap::new();
    for cell in page["cells"].as_array().unwrap() {
        let want = expected(cell, out, paths, pair);
        let raw = cell["v"].as_str().unwrap();
        let got = (!raw.is_empty()).then(|| raw.parse::<f64>().expect("raw number"));
        match (got, want) {
            (Some(g), Some(w)) => {
                let exact = matches!(
                    cell["t"].as_str(),
                    Some("credit" | "roas" | "path" | "len" | "lag" | "role")
                );
                let tol = if exact { 0.0 } else { 1e-9 * w.abs().max(1.0) };
                assert!((g - w).abs() <= tol, "{cell}: page {g}, JSON {w}");
            }
            (None, None) => {}
            _ => panic!("{cell}: page {got:?}, JSON {want:?}"),
        }
        let text = cell["text"].as_str().unwrap();
        let f = cell["f"].as_str().unwrap();
        match (shown(text, f), want) {
            (Some((x, half)), Some(w)) => assert!(
                (x - w).abs() <= half + 1e-9 * w.abs().max(1.0),
                "{cell}: shows {x}, JSON {w}"
            ),
            (None, None) => {}
            (s, w) => panic!("{cell}: shows {s:?}, JSON {w:?}"),
        }
        *kinds
            .entry(cell["t"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    kinds
}

fn attribute() -> Command {
    common::example("attribute")
}

/// `(row, field, text)` of the number cells of kind `t` in the page as written (before any
/// script runs), in document order. The page's own markup is regular: `<td class=… data-t="t"
/// data-row="…" data-f="…" data-v="…">text</td>`.
fn static_cells(html: &str, t: &str) -> Vec<(String, String, String)> {
    let attr = |cell: &str, name: &str| {
        let key = format!(r#"{name}=""#);
        let start = cell.find(&key).map(|i| i + key.len()).unwrap_or(0);
        cell[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let marker = format!(r#"data-t="{t}""#);
    let markup = html.split("<script").next().unwrap_or_default();
    markup
        .split("<td ")
        .filter(|c| c.contains(&marker))
        .map(|c| {
            let text = c.split_once('>').map_or("", |(_, rest)| rest);
            let text = text.split("</td>").next().unwrap_or_default();
            (
                attr(c, "data-row"),
                attr(c, "data-f"),
                text.replace("&amp;", "&"),
            )
        })
        .collect()
}

/// Mean and variance of the luminance of a PNG, and the share of pixels unlike the corner's.
fn png_stats(bytes: &[u8]) -> (f64, f64, f64, u32, u32) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let lum: Vec<f64> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| {
            let (r, g, b) = if channels >= 3 {
                (p[0], p[1], p[2])
            } else {
                (p[0], p[0], p[0])
            };
            0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
        })
        .collect();
    let n = lum.len() as f64;
    let mean = lum.iter().sum::<f64>() / n;
    let var = lum.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let differ = lum.iter().filter(|x| (**x - lum[0]).abs() > 8.0).count() as f64 / n;
    (mean, var, differ, info.width, info.height)
}

#[test]
fn the_report_renders_and_its_numbers_equal_the_json() {
    let Some(exe) = chromium() else { return };
    let dir = scratch("browser-report");
    let (html, out_json, paths_json) = (
        dir.join("report.html"),
        dir.join("out.json"),
        dir.join("paths.json"),
    );
    let status = attribute()
        .args([
            "--events",
            EVENTS,
            "--models",
            MODELS,
            "--ci",
            "0.9",
            "--replicates",
            "200",
        ])
        .args([
            "--seed", "1", "--spend", SPEND, "--top", "10", "--format", "json", "-q",
        ])
        .arg("--path-stats")
        .arg(&paths_json)
        .arg("--html")
        .arg(&html)
        .arg("-o")
        .arg(&out_json)
        .status()
        .expect("run attribute");
    assert!(status.success());
    let out: Value = serde_json::from_slice(&std::fs::read(&out_json).unwrap()).unwrap();
    let paths: Value = serde_json::from_slice(&std::fs::read(&paths_json).unwrap()).unwrap();
    let page_text = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page_text.contains("http:") && !page_text.contains("https:"),
        "network reference"
    );

    let mut b = Browser::launch(&exe, &dir.join("profile"));
    b.open(&html);
    let page = b.eval(COLLECT);
    // The pair shown first: last_touch against markov.
    assert_eq!(page["pair"], json!(["last_touch", "markov"]));
    let kinds = check_cells(&page, &out, &paths);
    let channels = out["channels"].as_array().unwrap().len();
    let models = out["models"].as_array().unwrap().len();
    assert_eq!(models, 6);
    assert_eq!(kinds["credit"], 3 * models * channels, "{kinds:?}");
    assert_eq!(kinds["cmp"], 10 * channels);
    assert_eq!(kinds["len"], 3 * 11);
    assert_eq!(kinds["lag"], 3 * 10);
    assert_eq!(kinds["role"], 8 * channels);
    assert_eq!(kinds["path"], 3 * 10 * 6);
    assert_eq!(kinds["roas"], models * channels * 9);
    // Every chart has shapes; the visible ones have a size.
    let charts = page["charts"].as_array().unwrap();
    assert!(charts.len() >= 6 + models, "{} charts", charts.len());
    let mut visible = 0;
    for c in charts {
        assert!(c["shapes"].as_u64().unwrap() > 0, "empty chart {c}");
        if c["shown"] == true {
            assert!(
                c["w"].as_f64().unwrap() > 100.0 && c["h"].as_f64().unwrap() > 50.0,
                "{c}"
            );
            visible += 1;
        }
    }
    assert!(visible >= 7, "{visible} visible charts");

    // The script formats the comparison as the Rust writer does: the page as written (no
    // script run) and as shown agree cell for cell.
    let written = static_cells(&page_text, "cmp");
    let shown_now: Vec<(String, String, String)> = page["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["t"] == "cmp")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("row"), s("f"), s("text"))
        })
        .collect();
    assert_eq!(written, shown_now);

    // Another pair: the table follows, and still equals the JSON.
    let picked = b.eval(
        r#"(function () {
          var r = document.getElementById("cmp-ref"), c = document.getElementById("cmp-cmp");
          r.value = "linear"; r.dispatchEvent(new Event("change"));
          c.value = "shapley"; c.dispatchEvent(new Event("change"));
          return JSON.stringify(0);
        })()"#,
    );
    assert_eq!(picked, json!(0));
    let page = b.eval(COLLECT);
    assert_eq!(page["pair"], json!(["linear", "shapley"]));
    assert_eq!(check_cells(&page, &out, &paths)["cmp"], 10 * channels);
    let bars = b.eval(
        r##"JSON.stringify(Array.from(document.querySelectorAll("#cmp-chart g[data-slot]")).filter(function (g) { return g.style.display !== "none"; }).map(function (g) { return g.dataset.model; }))"##,
    );
    let bars: Vec<&str> = bars
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(bars.len(), 2 * channels);
    assert!(bars.iter().all(|m| *m == "linear" || *m == "shapley"));

    // Sorting: a click on "Ref. conv." orders the rows by it, largest first, then reverses.
    let order = r##"(function () {
        var th = document.querySelectorAll("#cmp-table thead th")[1]; th.click();
        var v = Array.from(document.querySelectorAll("#cmp-table tbody tr")).map(function (r) { return parseFloat(r.cells[1].dataset.v); });
        th.click();
        var w = Array.from(document.querySelectorAll("#cmp-table tbody tr")).map(function (r) { return parseFloat(r.cells[1].dataset.v); });
        return JSON.stringify([v, w]);
      })()"##;
    let sorted = b.eval(order);
    let col = |i: usize| -> Vec<f64> {
        sorted[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (desc, asc) = (col(0), col(1));
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    b.eval(r#"(function () { var r = document.getElementById("cmp-ref"); r.value = "last_touch"; r.dispatchEvent(new Event("change")); var c = document.getElementById("cmp-cmp"); c.value = "markov"; c.dispatchEvent(new Event("change")); return "0"; })()"#);

    // Printing: the print style sheet hides the navigation and keeps every section; the page
    // prints to PDF.
    b.call("Emulation.setEmulatedMedia", json!({"media": "print"}));
    let print = b.eval(
        r#"JSON.stringify({nav: getComputedStyle(document.querySelector("nav")).display,
          sections: Array.from(document.querySelectorAll("section")).filter(function (s) { return s.checkVisibility(); }).length})"#,
    );
    assert_eq!(print["nav"], "none");
    assert_eq!(print["sections"], 5);
    b.call("Emulation.setEmulatedMedia", json!({"media": ""}));
    let pdf = b.call("Page.printToPDF", json!({"printBackground": true}));
    let pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        pdf["data"].as_str().expect("base64 PDF"),
    )
    .expect("valid base64");
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(dir.join("report.pdf"), &pdf).unwrap();

    let problems = b.problems();
    assert!(problems.is_empty(), "console: {problems:#?}");
    // The whole page in screens of 1600 px, for people to look at (target/tmp/browser-report).
    let height = b.eval("JSON.stringify(document.documentElement.scrollHeight)");
    let height = height.as_u64().expect("page height") as u32;
    for (i, y) in (0..height).step_by(1600).enumerate() {
        let png = b.screenshot(y, 1600.min(height - y));
        std::fs::write(dir.join(format!("page-{i}.png")), png).unwrap();
    }
    let png = b.screenshot(0, 2000);
    let shot = dir.join("report.png");
    std::fs::write(&shot, &png).unwrap();
    let (mean, var, differ, w, h) = png_stats(&png);
    assert_eq!((w, h), (1366, 2000));
    assert!(
        var > 200.0 && differ > 0.05 && mean > 30.0,
        "blank? mean {mean}, variance {var}, {differ} differ"
    );
    if std::env::var_os("TOUCHPOINT_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.png"),
            &png,
        )
        .unwrap();
    }
    println!(
        "screenshot: {} (luminance mean {mean:.0}, variance {var:.0})",
        shot.display()
    );
}

#[test]
fn hostile_channel_names_stay_text() {
    let Some(exe) = chromium() else { return };
    let dir = scratch("browser-hostile");
    let names = [
        r#"<img src=x onerror="alert(1)">"#,
        "</script><script>alert(2)</script>",
        "A & B's \"best\" <channel>",
    ];
    let mut t = PathTable::new();
    t.add([names[0], names[1]], Outcome::new(3.0, 30.0, 2.0))
        .unwrap();
    t.add([names[2], names[0]], Outcome::new(2.0, 12.0, 1.0))
        .unwrap();
    t.add([names[1]], Outcome::new(1.0, 4.0, 5.0)).unwrap();
    let results = vec![
        LastTouch.attribute(&t).unwrap(),
        Linear::default().attribute(&t).unwrap(),
    ];
    let stats = PathStats::new(&t, &PathStatsOptions::default());
    let tm = touchpoint::Markov::default().fit(&t).unwrap().transitions();
    let mut report = HtmlReport::new(names[2], &results);
    report.path_stats = Some(&stats);
    report.transitions = Some(&tm);
    report.notes.push(format!("channel {}", names[1]));
    let file = dir.join("hostile.html");
    let mut bytes = Vec::new();
    write_html(&mut bytes, &report).unwrap();
    std::fs::write(&file, bytes).unwrap();

    let mut b = Browser::launch(&exe, &dir.join("profile"));
    b.open(&file);
    let seen = b.eval(
        r##"JSON.stringify({
          imgs: document.querySelectorAll("img").length,
          scripts: document.querySelectorAll("script").length,
          title: document.title,
          rows: Array.from(document.querySelectorAll("#cmp-table tbody tr")).map(function (r) { return r.cells[0].textContent; })
        })"##,
    );
    assert_eq!(seen["imgs"], 0);
    assert_eq!(seen["scripts"], 2);
    assert_eq!(seen["title"], names[2]);
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    assert_eq!(seen["rows"], json!(sorted));
    let problems = b.problems();
    assert!(problems.is_empty(), "console: {problems:#?}");
}
