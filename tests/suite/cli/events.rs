//! `attribute --events`: journeys from event logs.

use super::*;

#[test]
fn event_logs_build_journeys_with_real_time() {
    // u1: Display at day 0, Search at day 7, converts at day 8 (value 50). With a 7-day
    // half-life the weights are 2^(-8/7) : 2^(-1/7) = 1 : 2, so Display gets 1/3.
    // u2 never converts (a null journey); u3: Search, converts 12 h later (value 20).
    let events = TempFile::new(
        "events.csv",
        b"user_id,timestamp,channel,conversion,value\n\
          u1,2026-01-01T00:00:00Z,Display,0,\n\
          u1,2026-01-08T00:00:00Z,Search,0,\n\
          u1,2026-01-09T00:00:00Z,,1,50\n\
          u2,2026-01-02T00:00:00Z,Email,,\n\
          u3,2026-01-05T00:00:00Z,Search,0,\n\
          u3,2026-01-05T12:00:00Z,,1,20\n",
    );
    let out = json(&attribute(
        &[
            "--events",
            events.path(),
            "--models",
            "time_decay",
            "--half-life",
            "7d",
            "--format",
            "json",
        ],
        None,
    ));
    let ch = &out["models"][0]["channels"];
    let get = |i: usize| ch[i]["conversions"].as_f64().unwrap();
    assert_eq!(ch[0]["channel"], "Display");
    assert!(close(get(0), 1.0 / 3.0));
    assert!(close(get(2), 1.0 + 2.0 / 3.0));
    assert_eq!(out["total_null"], 1.0);
    assert_eq!(out["summary"]["events"]["journeys"]["null_journeys"], 1);
    // A 3-day lookback drops the Display touch: Search gets everything.
    let short = json(&attribute(
        &[
            "--events",
            events.path(),
            "--lookback",
            "3d",
            "--models",
            "linear",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(short["models"][0]["channels"][2]["conversions"], 2.0);
    // A bad event row names its line.
    let bad = TempFile::new(
        "bad_events.csv",
        b"user_id,timestamp,channel,conversion,value\nu1,yesterday,Email,0,\n",
    );
    let err = fails(&attribute(&["--events", bad.path()], None));
    assert!(err.contains(":2:"), "{err}");
    // INPUT and --events together are refused.
    let err = fails(&attribute(&[T2, "--events", events.path()], None));
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn bundled_event_log_runs_every_model_and_generate_writes_event_logs() {
    const EVENTS: &str = "examples/data/sample_events.csv";
    let out = json(&attribute(
        &["--events", EVENTS, "--format", "json", "-q"],
        None,
    ));
    let total = out["total_conversions"].as_f64().unwrap();
    assert!(total > 0.0);
    for m in out["models"].as_array().unwrap() {
        let name = m["model"].as_str().unwrap();
        if name == "participation" {
            continue; // not efficient by definition
        }
        let credited: f64 = m["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["conversions"].as_f64().unwrap())
            .sum();
        assert!(close(credited, total), "{name}: {credited} vs {total}");
    }
    let j = &out["summary"]["events"]["journeys"];
    assert_eq!(
        j["converting_journeys"].as_u64().unwrap() + j["null_journeys"].as_u64().unwrap(),
        j["journeys"].as_u64().unwrap()
    );
    // `generate --events` is reproducible: the bundled file is its output for seed 3.
    let generated = example("generate")
        .args(["--events", "3000", "--seed", "3", "-q"])
        .output()
        .unwrap();
    assert!(generated.status.success());
    let bundled = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(EVENTS)).unwrap();
    assert_eq!(generated.stdout, bundled);
}
