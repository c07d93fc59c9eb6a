//! Hierarchical touch keys: event-log key columns, projection to a level, roll-ups, and the
//! additivity each model states (`AttributionModel::additive_over_levels`).

use crate::common;

use proptest::prelude::*;
use touchpoint::events::{EventOptions, NOT_SET, read_events};
use touchpoint::levels::{KeyLevels, max_share_difference};
use touchpoint::registry::{ModelOptions, TABLE_MODELS, build_model};
use touchpoint::synth::{SynthConfig, SynthSize, generate};
use touchpoint::{AttributionModel, Error, Outcome, ParseProblem, PathTable};

const LOG: &str = "user_id,timestamp,channel,campaign,conversion,value\n\
                   a,2024-05-01T00:00:00Z,Paid Search,brand,,\n\
                   a,2024-05-02T00:00:00Z,Email,,,\n\
                   a,2024-05-03T00:00:00Z,,,1,30\n";

fn campaign_options() -> EventOptions {
    EventOptions {
        key_columns: vec!["campaign".into()],
        ..EventOptions::default()
    }
}

fn keys(opts: &EventOptions, log: &str) -> Vec<String> {
    let (log, _) = read_events(log.as_bytes(), opts).expect("a valid log");
    let mut names: Vec<String> = log.channels().iter().map(|(_, n)| n.to_string()).collect();
    names.sort();
    names
}

#[test]
fn key_columns_join_the_channel_and_its_campaign() {
    assert_eq!(
        keys(&campaign_options(), LOG),
        ["Email/(not set)", "Paid Search/brand"]
    );
    assert_eq!(NOT_SET, "(not set)");
    // Without key columns the campaign column is ignored, as before.
    assert_eq!(
        keys(&EventOptions::default(), LOG),
        ["Email", "Paid Search"]
    );
    // JSON Lines read the same keys.
    let jsonl = "{\"user_id\":\"a\",\"timestamp\":\"2024-05-01T00:00:00Z\",\"channel\":\"Paid Search\",\"campaign\":\"brand\"}\n\
                 {\"user_id\":\"a\",\"timestamp\":\"2024-05-02T00:00:00Z\",\"channel\":\"Email\"}\n";
    assert_eq!(
        keys(&campaign_options(), jsonl),
        ["Email/(not set)", "Paid Search/brand"]
    );
}

#[test]
fn a_separator_inside_a_level_is_a_bad_row_with_its_line() {
    let log = "user_id,timestamp,channel,campaign,conversion\n\
               a,2024-05-01T00:00:00Z,Paid Search,brand,\n\
               a,2024-05-02T00:00:00Z,Email,spring/sale,\n";
    match read_events(log.as_bytes(), &campaign_options()) {
        Err(Error::Parse { at, problem }) => {
            assert_eq!(at.line, 3);
            assert_eq!(
                problem,
                ParseProblem::SeparatorInKey {
                    field: "campaign".into(),
                    text: "spring/sale".into(),
                    separator: '/',
                }
            );
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    // Skipped and counted when asked.
    let skip = EventOptions {
        bad_rows: touchpoint::formats::BadRows::Skip,
        ..campaign_options()
    };
    let (_, report) = read_events(log.as_bytes(), &skip).unwrap();
    assert_eq!((report.rows, report.skipped), (1, 1));
    // Another separator reads it.
    let pipe = EventOptions {
        key_separator: '|',
        ..campaign_options()
    };
    assert_eq!(keys(&pipe, log), ["Email|spring/sale", "Paid Search|brand"]);
}

#[test]
fn a_missing_key_column_and_bad_options_are_refused() {
    let log = "user_id,timestamp,channel\na,2024-05-01T00:00:00Z,Email\n";
    let e = read_events(log.as_bytes(), &campaign_options()).unwrap_err();
    assert!(
        matches!(&e, Error::Parse { problem: ParseProblem::MissingColumn { name, .. }, .. } if name == "campaign"),
        "{e}"
    );
    let many = EventOptions {
        key_columns: vec!["a".into(), "b".into(), "c".into(), "d".into()],
        ..EventOptions::default()
    };
    assert!(matches!(
        read_events(log.as_bytes(), &many),
        Err(Error::InvalidParameter { .. })
    ));
    let bad_sep = EventOptions {
        key_separator: '>',
        ..campaign_options()
    };
    assert!(read_events(log.as_bytes(), &bad_sep).is_err());
}

/// A campaign-keyed table (`Channel/cJ`) from the generator.
fn campaigns(rows: usize, channels: usize, campaigns: usize, seed: u64) -> PathTable {
    generate(&SynthConfig {
        size: SynthSize::DistinctPaths(rows),
        channels,
        campaigns,
        seed,
        ..SynthConfig::default()
    })
    .expect("valid synthetic configuration")
}

#[test]
fn additive_models_roll_up_to_their_channel_level_credit_and_the_others_do_not() {
    let t = campaigns(400, 6, 30, 5);
    let levels = KeyLevels::default();
    let coarse = levels.project(&t, 1).unwrap();
    let mut not_additive = Vec::new();
    for name in TABLE_MODELS {
        let m = build_model(name, &ModelOptions::default()).unwrap();
        let fine = m.attribute(&t).unwrap();
        let rolled = touchpoint::levels::RolledUp {
            model: m.as_ref(),
            levels: levels.clone(),
            depth: 1,
        }
        .attribute(&t)
        .unwrap();
        assert_eq!(
            rolled,
            levels
                .rollup(&fine, 1)
                .unwrap()
                .with_extra("additive", m.additive_over_levels())
        );
        let direct = m.attribute(&coarse).unwrap();
        let names = |a: &touchpoint::Attribution| -> Vec<String> {
            a.channels.iter().map(|c| c.channel.clone()).collect()
        };
        assert_eq!(
            names(&rolled),
            names(&direct),
            "{name}: keyed as the coarse run"
        );
        assert_eq!(
            rolled.extras["additive"],
            m.additive_over_levels(),
            "{name}"
        );
        let diff = max_share_difference(&rolled, &direct);
        if m.additive_over_levels() {
            for (r, d) in rolled.channels.iter().zip(&direct.channels) {
                assert!(
                    common::close_to(r.conversions, d.conversions, common::TOL)
                        && common::close_to(r.value, d.value, common::TOL),
                    "{name} {}: {r:?} != {d:?}",
                    r.channel
                );
            }
        } else if diff > 1e-6 {
            not_additive.push(*name);
        }
    }
    // Every model that says it is not additive differs here. last_non_direct matches its
    // direct names against whole keys: `Direct/c3` is not `Direct`.
    let expected: Vec<&str> = TABLE_MODELS
        .iter()
        .copied()
        .filter(|n| {
            let m = build_model(n, &ModelOptions::default()).unwrap();
            !m.additive_over_levels()
        })
        .collect();
    assert_eq!(not_additive, expected);
}

#[test]
fn the_additive_models_are_the_position_and_time_rules() {
    let additive: Vec<&str> = TABLE_MODELS
        .iter()
        .copied()
        .filter(|n| {
            build_model(n, &ModelOptions::default())
                .unwrap()
                .additive_over_levels()
        })
        .collect();
    assert_eq!(
        additive,
        [
            "first_touch",
            "last_touch",
            "linear",
            "position_based",
            "j_curve",
            "inverse_j",
            "w_shaped",
            "time_decay"
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Projection keeps totals; rolling up is a sum, so credit totals
    /// survive it for every model.
    #[test]
    fn projection_and_rollup_keep_totals(seed in 0u64..1000, campaigns_n in 6usize..40) {
        let t = campaigns(120, 5, campaigns_n, seed);
        // A few of these small tables draw no conversion (e.g. seed 123, 12 campaigns), where
        // attribution is undefined (`NoConversions`, tested elsewhere).
        prop_assume!(t.totals().conversions > 0.0);
        let levels = KeyLevels::default();
        let coarse = levels.project(&t, 1).unwrap();
        prop_assert_eq!(coarse.totals(), t.totals());
        prop_assert!(coarse.channels().len() <= 5);
        for name in ["linear", "markov", "shapley_rate"] {
            let a = build_model(name, &ModelOptions::default()).unwrap().attribute(&t).unwrap();
            let r = levels.rollup(&a, 1).unwrap();
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
            prop_assert!(close(r.credited_conversions(), a.credited_conversions()));
            prop_assert!(close(r.credited_value(), a.credited_value()));
        }
    }
}

#[test]
fn keys_with_fewer_levels_stay_whole() {
    let mut t = PathTable::new();
    t.add(
        ["Direct", "Paid Search/brand/ad1"],
        Outcome::new(1.0, 2.0, 0.0),
    )
    .unwrap();
    let levels = KeyLevels::new(["channel", "campaign", "ad"], '/').unwrap();
    let at_campaign = levels.project(&t, 2).unwrap();
    assert_eq!(
        at_campaign.to_named_rows()[0].0,
        ["Direct", "Paid Search/brand"]
    );
}

/// The table of the model reference, §Levels and roll-ups / Which models add up, recomputed.
#[test]
fn the_reference_table_of_rollup_differences_is_what_the_models_give() {
    use touchpoint::pipeline::{Input, load};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/models.md")).unwrap();
    let section = &doc[doc.find("### Which models add up").expect("the section")..];
    let rows: Vec<(String, bool, f64)> = section
        .lines()
        .skip_while(|l| !l.starts_with("| model |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2] == "yes",
                cells[3].parse().expect("a number"),
            )
        })
        .collect();
    assert_eq!(rows.len(), TABLE_MODELS.len());
    let loaded = load(Input::PathFile {
        path: root.join("examples/data/sample_campaigns.csv"),
        options: Default::default(),
    })
    .unwrap();
    let levels = KeyLevels::default();
    let coarse = levels.project(&loaded.table, 1).unwrap();
    for (name, additive, diff) in rows {
        let m = build_model(&name, &ModelOptions::default()).unwrap();
        assert_eq!(m.additive_over_levels(), additive, "{name}");
        let rolled = levels
            .rollup(&m.attribute(&loaded.table).unwrap(), 1)
            .unwrap();
        let direct = m.attribute(&coarse).unwrap();
        let got = max_share_difference(&rolled, &direct);
        assert!(
            (got - diff).abs() <= 5e-5,
            "{name}: {got} (the reference says {diff})"
        );
    }
}

/// Arrow event batches read the key columns as CSV does.
#[cfg(feature = "parquet")]
#[test]
fn arrow_event_batches_read_key_columns() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    let strings = |v: &[Option<&str>]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
    let batch = RecordBatch::try_from_iter([
        ("user_id", strings(&[Some("a"), Some("a"), Some("a")])),
        (
            "timestamp",
            Arc::new(Int64Array::from(vec![
                1_700_000_000,
                1_700_000_100,
                1_700_000_200,
            ])) as ArrayRef,
        ),
        (
            "channel",
            strings(&[Some("Paid Search"), Some("Email"), None]),
        ),
        ("campaign", strings(&[Some("brand"), None, None])),
        (
            "conversion",
            Arc::new(Int64Array::from(vec![0, 0, 1])) as ArrayRef,
        ),
    ])
    .unwrap();
    let (log, report) =
        touchpoint::events::read_events_arrow([&batch], &campaign_options()).unwrap();
    assert_eq!((report.rows, report.skipped), (3, 0));
    let mut names: Vec<&str> = log.channels().iter().map(|(_, n)| n).collect();
    names.sort_unstable();
    assert_eq!(names, ["Email/(not set)", "Paid Search/brand"]);
}

/// The pipeline bootstraps the rolled-up model: intervals are keyed by the coarse level, and a
/// comparison run follows the roll-ups without intervals of its own.
#[test]
fn the_pipeline_bootstraps_rollups_and_appends_direct_runs() {
    use touchpoint::bootstrap::Bootstrap;
    use touchpoint::pipeline::{LevelRun, Pipeline, RunConfig};
    let t = campaigns(200, 5, 20, 9);
    let levels = KeyLevels::default();
    let mut run = LevelRun::new(levels.clone());
    run.rollup = Some(1);
    run.compare_direct = true;
    let mut config = RunConfig::new(["linear_distinct", "markov"]);
    config.levels = Some(run);
    config.bootstrap = Some(Bootstrap {
        replicates: 20,
        ..Bootstrap::default()
    });
    let r = Pipeline::new(config).unwrap().run(&t, &mut ()).unwrap();
    let names: Vec<&str> = r.results.iter().map(|a| a.model.as_str()).collect();
    assert_eq!(
        names,
        [
            "linear_distinct",
            "markov",
            "linear_distinct (direct)",
            "markov (direct)"
        ]
    );
    for a in &r.results[..2] {
        assert_eq!(a.channels.len(), 5);
        assert!(a.channels.iter().all(|c| c.ci.is_some()), "{}", a.model);
        assert_eq!(a.extras["additive"], false);
    }
    assert!(
        r.results[2..]
            .iter()
            .all(|a| a.channels.iter().all(|c| c.ci.is_none()))
    );
    let direct = build_model("markov", &ModelOptions::default())
        .unwrap()
        .attribute(&levels.project(&t, 1).unwrap())
        .unwrap();
    for (a, b) in r.results[3].channels.iter().zip(&direct.channels) {
        assert_eq!(a.conversions, b.conversions);
    }
}
