//! `attribute --level / --rollup / --rollup-compare`: touch keys with levels.

use super::*;

const CAMPAIGNS: &str = "examples/data/sample_campaigns.csv";

fn models(v: &Value) -> &Vec<Value> {
    v["models"].as_array().expect("models")
}

fn channels(m: &Value) -> Vec<&str> {
    m["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| c["channel"].as_str().expect("name"))
        .collect()
}

#[test]
fn a_rollup_is_keyed_exactly_as_a_run_at_the_coarser_level() {
    let rolled = json(&attribute(
        &[
            CAMPAIGNS,
            "--models",
            "linear,markov",
            "--rollup",
            "channel",
            "--format",
            "json",
        ],
        None,
    ));
    let direct = json(&attribute(
        &[
            CAMPAIGNS,
            "--models",
            "linear,markov",
            "--level",
            "channel",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(rolled["channels"], direct["channels"]);
    assert_eq!(rolled["channels"].as_array().unwrap().len(), 8);
    for (r, d) in models(&rolled).iter().zip(models(&direct)) {
        assert_eq!(channels(r), channels(d));
        assert_eq!(r["basis"], "rollup");
        assert_eq!(r["level"], "channel");
        assert_eq!(d["basis"], "direct");
        assert_eq!(d["level"], "channel");
    }
    // linear is additive: equal to rounding; markov is not, and says so.
    let (rl, dl) = (&models(&rolled)[0], &models(&direct)[0]);
    assert_eq!(rl["additive"], true);
    for (a, b) in rl["channels"]
        .as_array()
        .unwrap()
        .iter()
        .zip(dl["channels"].as_array().unwrap())
    {
        assert!(close(
            a["conversions"].as_f64().unwrap(),
            b["conversions"].as_f64().unwrap()
        ));
    }
    assert_eq!(models(&rolled)[1]["additive"], false);
    // Without level options the output has no level fields (the contract as before).
    let plain = json(&attribute(
        &[CAMPAIGNS, "--models", "linear", "--format", "json"],
        None,
    ));
    assert!(models(&plain)[0].get("basis").is_none());
    assert_eq!(plain["channels"].as_array().unwrap().len(), 32);
}

#[test]
fn rollup_compare_reports_both_and_warns_only_without_it() {
    let o = attribute(
        &[CAMPAIGNS, "--models", "markov", "--rollup", "channel"],
        None,
    );
    assert!(
        stderr(&o).contains("markov is not additive over levels"),
        "{}",
        stderr(&o)
    );
    let o = attribute(
        &[
            CAMPAIGNS,
            "--models",
            "linear_distinct",
            "--rollup",
            "channel",
            "--rollup-compare",
            "--format",
            "json",
        ],
        None,
    );
    assert!(!stderr(&o).contains("not additive"));
    let v = json(&o);
    let m = models(&v);
    assert_eq!(m.len(), 2);
    assert_eq!(m[1]["model"], "linear_distinct (direct)");
    assert_eq!(m[1]["basis"], "direct");
    let diff = m[0]["direct_max_share_difference"].as_f64().unwrap();
    assert!(diff > 0.01, "{diff}");
}

#[test]
fn event_logs_read_the_campaign_column_at_the_campaign_level() {
    let events = TempFile::new(
        "campaign_events.csv",
        b"user_id,timestamp,channel,campaign,conversion,value\n\
          u1,2026-01-01T00:00:00Z,Paid Search,brand,0,\n\
          u1,2026-01-02T00:00:00Z,Paid Search,generic,0,\n\
          u1,2026-01-03T00:00:00Z,Email,,0,\n\
          u1,2026-01-04T00:00:00Z,,,1,60\n",
    );
    let path = events.path();
    let at_campaign = json(&attribute(
        &[
            "--events",
            path,
            "--models",
            "linear_distinct",
            "--level",
            "campaign",
            "--format",
            "json",
        ],
        None,
    ));
    assert_eq!(
        at_campaign["channels"],
        serde_json::json!([
            "Email/(not set)",
            "Paid Search/brand",
            "Paid Search/generic"
        ])
    );
    // Rolled up: 2/3 to Paid Search; at the channel level linear_distinct gives it 1/2.
    let rolled = json(&attribute(
        &[
            "--events",
            path,
            "--models",
            "linear_distinct",
            "--rollup",
            "channel",
            "--format",
            "json",
        ],
        None,
    ));
    let m = &models(&rolled)[0];
    assert_eq!(m["rolled_up_from"], "campaign");
    assert!(close(
        m["channels"][1]["conversions"].as_f64().unwrap(),
        2.0 / 3.0
    ));
    let channel = json(&attribute(
        &[
            "--events",
            path,
            "--models",
            "linear_distinct",
            "--format",
            "json",
        ],
        None,
    ));
    assert!(close(
        models(&channel)[0]["channels"][1]["conversions"]
            .as_f64()
            .unwrap(),
        0.5
    ));
}

#[test]
fn bad_level_options_fail_with_one_line() {
    let e = fails(&attribute(&[CAMPAIGNS, "--level", "ad"], None));
    assert!(e.contains("unknown level `ad`"), "{e}");
    let e = fails(&attribute(
        &[CAMPAIGNS, "--level", "channel", "--rollup", "campaign"],
        None,
    ));
    assert!(e.contains("coarser"), "{e}");
    let e = fails(&attribute(&[CAMPAIGNS, "--rollup-compare"], None));
    assert!(e.contains("roll-up"), "{e}");
    let e = fails(&attribute(&[CAMPAIGNS, "--level-separator", ">"], None));
    assert!(e.contains("separate key levels"), "{e}");
    // An event log without the campaign column, at the campaign level.
    let e = fails(&attribute(
        &[
            "--events",
            "examples/data/sample_events.csv",
            "--level",
            "campaign",
        ],
        None,
    ));
    assert!(e.contains("campaign"), "{e}");
}

#[test]
fn per_touch_credit_at_a_level_uses_the_keys_of_that_level() {
    let out = TempFile::new("levels_per_touch.csv", b"");
    let p = out.path();
    ok(&attribute(
        &[
            CAMPAIGNS,
            "--models",
            "linear",
            "--level",
            "channel",
            "--per-touch",
            p,
        ],
        None,
    ));
    let text = std::fs::read_to_string(p).unwrap();
    assert!(
        text.lines().skip(1).all(|l| !l.contains('/')),
        "campaign keys in {}",
        &text[..200]
    );
}
