//! Properties of every rule model (the model reference, §Properties).

use super::*;

// ---------------------------------------------------------------------------------------------
// Properties (the model reference, §Properties)
// ---------------------------------------------------------------------------------------------

fn relabel_rows(rows: &[RowSpec], map: impl Fn(&str) -> String) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: r.path.iter().map(|c| map(c)).collect(),
            outcome: r.outcome,
        })
        .collect()
}

fn scale_rows(rows: &[RowSpec], k_counts: f64, k_value: f64) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: r.path.clone(),
            outcome: Outcome::new(
                r.outcome.conversions * k_counts,
                r.outcome.value * k_value,
                r.outcome.nulls * k_counts,
            ),
        })
        .collect()
}

/// Rows plus the index of one row and three random numbers to split it with.
fn arb_split() -> impl Strategy<Value = (Vec<RowSpec>, usize, (u32, u32, u32))> {
    arb_rows().prop_flat_map(|rows| {
        let n = rows.len();
        (Just(rows), 0..n, any::<(u32, u32, u32)>())
    })
}

/// Splits a whole-number outcome into two valid outcomes summing to it.
pub(crate) fn split_outcome(o: Outcome, (a, b, c): (u32, u32, u32)) -> (Outcome, Outcome) {
    let c1 = f64::from(a % (o.conversions as u32 + 1));
    let c2 = o.conversions - c1;
    let v1 = if c1 == 0.0 {
        0.0
    } else if c2 == 0.0 {
        o.value
    } else {
        f64::from(b % (o.value as u32 + 1))
    };
    let u1 = f64::from(c % (o.nulls as u32 + 1));
    (
        Outcome::new(c1, v1, u1),
        Outcome::new(c2, o.value - v1, o.nulls - u1),
    )
}

/// Rows, a number of shards K, each row's shard, and the order in which shards are merged.
fn arb_shards() -> impl Strategy<Value = (Vec<RowSpec>, Vec<usize>, Vec<usize>)> {
    (arb_rows(), 1usize..=5).prop_flat_map(|(rows, k)| {
        let n = rows.len();
        (
            Just(rows),
            prop::collection::vec(0..k, n),
            Just((0..k).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

/// Merges the shards of `rows` (row i goes to shard `shard[i]`) in `order`, starting from an
/// empty table.
pub(crate) fn merge_shards<T>(
    rows: &[T],
    shard: &[usize],
    order: &[usize],
    build: impl Fn(&[T]) -> PathTable,
) -> PathTable
where
    T: Clone,
{
    let mut merged = PathTable::new();
    for &k in order {
        let part: Vec<T> = rows
            .iter()
            .zip(shard)
            .filter(|(_, s)| **s == k)
            .map(|(r, _)| r.clone())
            .collect();
        merged.merge(&build(&part)).unwrap();
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn p1_efficiency(rows in arb_rows()) {
        let t = table_from(&rows);
        let totals = t.totals();
        // Raw participation: Σ = Σ_r c_r |S_r| (and Σ_r v_r |S_r|).
        let raw_c: f64 = rows.iter().map(|r| r.outcome.conversions * distinct_count(&r.path) as f64).sum();
        let raw_v: f64 = rows.iter().map(|r| r.outcome.value * distinct_count(&r.path) as f64).sum();
        for m in all_models() {
            let a = run(&*m, &t);
            let (c, v) = if is_raw_participation(&*m) { (raw_c, raw_v) } else { (totals.conversions, totals.value) };
            assert_close(a.credited_conversions(), c);
            assert_close(a.credited_value(), v);
            assert_eq!(a.total_conversions, totals.conversions);
            assert_eq!(a.total_value, totals.value);
            assert_eq!(a.total_null, totals.nulls);
            if !is_raw_participation(&*m) {
                assert_close(a.channels.iter().map(|c| c.share).sum(), 1.0);
            }
        }
    }

    #[test]
    fn p2_non_negative(rows in arb_rows()) {
        let t = table_from(&rows);
        for m in all_models() {
            for c in run(&*m, &t).channels {
                assert!(c.conversions >= 0.0 && c.value >= 0.0, "{m:?}: {c:?}");
                assert!(c.share >= 0.0 && c.value_share >= 0.0, "{m:?}: {c:?}");
            }
        }
    }

    #[test]
    fn p3_relabelling_relabels_credit(
        rows in arb_rows(),
        perm in Just(POOL.to_vec()).prop_shuffle(),
    ) {
        let map = |s: &str| perm[POOL.iter().position(|p| *p == s).expect("pool name")];
        let t = table_from(&rows);
        let t2 = table_from(&relabel_rows(&rows, |s| map(s).to_string()));
        let direct2: Vec<&str> = DIRECT.iter().map(|d| map(d)).collect();
        for (m, m2) in models(&DIRECT).iter().zip(models(&direct2)) {
            let (a, b) = (run(&**m, &t), run(&*m2, &t2));
            assert_eq!(a.channels.len(), b.channels.len());
            for c in &a.channels {
                let c2 = b.get(map(&c.channel)).expect("relabelled channel");
                assert!(close_to(c.conversions, c2.conversions, 1e-12)
                    && close_to(c.value, c2.value, 1e-12), "{m:?}: {c:?} vs {c2:?}");
            }
        }
    }

    #[test]
    fn p4_row_order_is_irrelevant(
        (rows, shuffled) in arb_rows().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
    ) {
        let (t, ts) = (table_from(&rows), table_from(&shuffled));
        assert_eq!(t, ts);
        for m in all_models() {
            assert_attr_close(&run(&*m, &t), &run(&*m, &ts), 1e-12);
        }
    }

    #[test]
    fn p5_splitting_a_row_changes_nothing((rows, i, seed) in arb_split()) {
        let (o1, o2) = split_outcome(rows[i].outcome, seed);
        let mut first = rows.clone();
        first[i].outcome = o1;
        let second = [RowSpec { path: rows[i].path.clone(), outcome: o2 }];
        let whole = table_from(&rows);
        // The two parts as two rows of one table, and in two merged tables.
        let mut added = table_from(&first);
        added.add(&second[0].path, o2).unwrap();
        let mut merged = table_from(&first);
        merged.merge(&table_from(&second)).unwrap();
        assert_eq!(&added, &whole);
        assert_eq!(&merged, &whole);
        for m in all_models() {
            let a = run(&*m, &whole);
            assert_attr_close(&run(&*m, &added), &a, 1e-12);
            assert_attr_close(&run(&*m, &merged), &a, 1e-12);
        }
    }

    #[test]
    fn p6_doubling_counts_doubles_credit(rows in arb_rows()) {
        let (t, t2) = (table_from(&rows), table_from(&scale_rows(&rows, 2.0, 2.0)));
        for m in all_models() {
            let (a, b) = (run(&*m, &t), run(&*m, &t2));
            for c in &a.channels {
                let d = b.get(&c.channel).expect("same channels");
                assert_close_tol(d.conversions, 2.0 * c.conversions, 1e-12);
                assert_close_tol(d.value, 2.0 * c.value, 1e-12);
                assert_close_tol(d.share, c.share, 1e-12);
                assert_close_tol(d.value_share, c.value_share, 1e-12);
            }
        }
    }

    #[test]
    fn p7_scaling_values_scales_only_value_credit(rows in arb_rows(), k in 0u32..=8) {
        let k = f64::from(k) / 2.0;
        let (t, tk) = (table_from(&rows), table_from(&scale_rows(&rows, 1.0, k)));
        for m in all_models() {
            let (a, b) = (run(&*m, &t), run(&*m, &tk));
            for c in &a.channels {
                let d = b.get(&c.channel).expect("same channels");
                assert_close_tol(d.conversions, c.conversions, 1e-12);
                assert_close_tol(d.value, k * c.value, 1e-12);
            }
        }
    }

    #[test]
    fn p8_null_journeys_change_nothing(
        rows in arb_rows(),
        nulls in prop::collection::vec((arb_path(POOL.to_vec()), 1u32..=5), 1..5),
    ) {
        let t = table_from(&rows);
        let mut tn = t.clone();
        for (p, u) in &nulls {
            tn.add(p, Outcome::null(f64::from(*u))).unwrap();
        }
        for m in all_models() {
            // New channels that only appear on null paths count as 0 in the comparison.
            assert_attr_close(&run(&*m, &tn), &run(&*m, &t), 1e-12);
        }
    }

    #[test]
    fn p9_row_additivity(r1 in arb_rows(), r2 in arb_rows()) {
        let (t1, t2) = (table_from(&r1), table_from(&r2));
        let mut both = t1.clone();
        both.merge(&t2).unwrap();
        for m in all_models().into_iter().filter(|m| is_row_additive(&**m)) {
            let (a1, a2, a) = (run(&*m, &t1), run(&*m, &t2), run(&*m, &both));
            for c in &a.channels {
                assert_close_tol(c.conversions, a1.conversions(&c.channel) + a2.conversions(&c.channel), 1e-12);
                assert_close_tol(c.value, a1.value(&c.channel) + a2.value(&c.channel), 1e-12);
            }
        }
    }

    #[test]
    fn p10_single_touch_tables_credit_own_outcomes(rows in arb_rows()) {
        let single: Vec<RowSpec> = rows.iter()
            .map(|r| RowSpec { path: r.path[..1].to_vec(), outcome: r.outcome })
            .collect();
        let mut own = BTreeMap::<&str, (f64, f64)>::new();
        for r in &single {
            let e = own.entry(&r.path[0]).or_default();
            e.0 += r.outcome.conversions;
            e.1 += r.outcome.value;
        }
        let t = table_from(&single);
        for m in all_models() {
            let a = run(&*m, &t);
            for (ch, &(c, v)) in &own {
                assert_close_tol(a.conversions(ch), c, 1e-12);
                assert_close_tol(a.value(ch), v, 1e-12);
            }
        }
        // P14: first = last = linear on paths of length 1.
        assert_attr_close(&run(&FirstTouch, &t), &run(&LastTouch, &t), 0.0);
        assert_attr_close(&run(&FirstTouch, &t), &run(&Linear::default(), &t), 0.0);
    }

    #[test]
    fn p11_one_channel_gets_everything(rows in arb_rows()) {
        let t = table_from(&relabel_rows(&rows, |_| "Solo".to_string()));
        let totals = t.totals();
        for m in all_models() {
            let a = run(&*m, &t);
            assert_eq!(a.channels.len(), 1);
            assert_close_tol(a.conversions("Solo"), totals.conversions, 1e-12);
            assert_close_tol(a.value("Solo"), totals.value, 1e-12);
            assert_close_tol(a.channels[0].share, 1.0, 1e-12);
        }
    }

    #[test]
    fn p13_null_player_gets_nothing(
        rows in arb_rows(),
        ghosts in prop::collection::vec((arb_path(POOL.to_vec()), any::<prop::sample::Index>()), 1..4),
    ) {
        let mut t = table_from(&rows);
        for (p, at) in &ghosts {
            let mut p = p.clone();
            p.insert(at.index(p.len() + 1), "Ghost".to_string());
            t.add(&p, Outcome::null(1.0)).unwrap();
        }
        // Channels of the original rows that are on no converting path are null players too.
        let converting: Vec<&String> = rows.iter()
            .filter(|r| r.outcome.conversions > 0.0)
            .flat_map(|r| &r.path)
            .collect();
        let idle: Vec<&str> = t.channels().iter()
            .map(|(_, n)| n)
            .filter(|n| !converting.iter().any(|c| c == n))
            .collect();
        assert!(idle.contains(&"Ghost"));
        for m in all_models() {
            let a = run(&*m, &t);
            for ch in &idle {
                let c = a.get(ch).expect("interned channel is reported");
                assert!(c.conversions == 0.0 && c.value == 0.0, "{m:?}: {c:?}");
            }
        }
    }

    #[test]
    fn p14_linear_conventions_agree_without_repeats(rows in arb_rows()) {
        let (touch, distinct, per_run) = (
            Linear::new(LinearMode::PerTouch),
            Linear::new(LinearMode::PerDistinct),
            Linear::new(LinearMode::PerRun),
        );
        // No repeated channel: per touch = per distinct (= per run).
        let unique = relabel_paths(&rows, |p| {
            let mut seen = Vec::new();
            p.iter().filter(|c| { let new = !seen.contains(c); seen.push(*c); new }).cloned().collect()
        });
        let t = table_from(&unique);
        assert_attr_close(&run(&touch, &t), &run(&distinct, &t), 1e-12);
        assert_attr_close(&run(&touch, &t), &run(&per_run, &t), 1e-12);
        // Per run on a table = per touch on its run-collapsed table (so they agree when no
        // consecutive repeat exists).
        let collapsed = relabel_paths(&rows, |p| {
            let mut q = p.to_vec();
            q.dedup();
            q
        });
        let (t, tc) = (table_from(&rows), table_from(&collapsed));
        assert_attr_close(&run(&per_run, &t), &run(&touch, &tc), 1e-12);
        assert_attr_close(&run(&per_run, &tc), &run(&touch, &tc), 1e-12);
    }

    #[test]
    fn p15_extreme_position_weights_are_first_and_last_touch(rows in arb_rows()) {
        let t = table_from(&rows);
        let (first, last) = (run(&FirstTouch, &t), run(&LastTouch, &t));
        for two_touch in [TwoTouch::Renormalize, TwoTouch::SplitMiddle] {
            let f = PositionBased { two_touch, ..PositionBased::new(1.0, 0.0, 0.0) };
            let l = PositionBased { two_touch, ..PositionBased::new(0.0, 0.0, 1.0) };
            assert_attr_close(&run(&f, &t), &first, 0.0);
            assert_attr_close(&run(&l, &t), &last, 0.0);
        }
        let w = |first, last| WShaped { first, milestone: 0.0, last, rest: 0.0 };
        assert_attr_close(&run(&w(1.0, 0.0), &t), &first, 0.0);
        assert_attr_close(&run(&w(0.0, 1.0), &t), &last, 0.0);
    }

    #[test]
    fn p20_channel_on_no_path_gets_zero(rows in arb_rows()) {
        let mut t = table_from(&rows);
        t.intern("Ghost").unwrap();
        for m in all_models() {
            let a = run(&*m, &t);
            let g = a.get("Ghost").expect("every interned channel is reported");
            assert!(g.conversions == 0.0 && g.value == 0.0 && g.share == 0.0, "{m:?}: {g:?}");
        }
    }

    #[test]
    fn merging_shards_in_any_order_is_the_whole((rows, shard, order) in arb_shards()) {
        let whole = table_from(&rows);
        let merged = merge_shards(&rows, &shard, &order, table_from);
        assert_eq!(&merged, &whole);
        for m in all_models() {
            assert_attr_close(&run(&*m, &merged), &run(&*m, &whole), 1e-12);
        }
    }

    #[test]
    fn path_credit_sums_back_to_attribution(rows in arb_rows()) {
        let t = table_from(&rows);
        for m in models(&DIRECT) {
            let pc = m.path_credit(&t).unwrap();
            assert_eq!(pc.len(), t.len());
            let mut conv = BTreeMap::<&str, f64>::new();
            let mut value = BTreeMap::<&str, f64>::new();
            for (r, row) in t.rows().enumerate() {
                let f = pc.fractions(r);
                assert_eq!(f.len(), row.path.len());
                if !is_raw_participation(&*m) && m.name() != "participation_normalized" {
                    assert_close_tol(f.iter().sum(), 1.0, 1e-12);
                }
                for (&id, &x) in row.path.iter().zip(f) {
                    assert!((0.0..=1.0).contains(&x), "{m:?}: {f:?}");
                    let name = t.channels().name(id);
                    *conv.entry(name).or_default() += row.outcome.conversions * x;
                    *value.entry(name).or_default() += row.outcome.value * x;
                }
            }
            if m.name() == "participation_normalized" {
                continue; // fractions are those of the raw form; the rescaling is global
            }
            let a = run(&*m, &t);
            for (ch, c) in conv {
                assert_close_tol(a.conversions(ch), c, 1e-12);
                assert_close_tol(a.value(ch), value[ch], 1e-12);
            }
        }
    }
}

fn relabel_paths(rows: &[RowSpec], f: impl Fn(&[String]) -> Vec<String>) -> Vec<RowSpec> {
    rows.iter()
        .map(|r| RowSpec {
            path: f(&r.path),
            outcome: r.outcome,
        })
        .collect()
}
