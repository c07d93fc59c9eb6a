//! Memory of the incremental journey builder over simulated days of the seeded event generator:
//! bounded by the active users, not by the events seen.
//!
//! The figure in the README comes from the ignored test (a 100k-orders-a-month shop):
//! `cargo test --release --test suite stream::memory:: -- --ignored --nocapture`.

use std::collections::HashMap;

use touchpoint::events::synth::{SynthEvent, SynthEvents, SynthOptions};
use touchpoint::events::{EventLog, JourneyStream, StreamConfig};

const HOUR: i64 = 3_600_000_000;

/// The generator's events sorted by time (the generator writes user after user).
fn events(n: u64, seed: u64) -> (Vec<SynthEvent>, SynthOptions) {
    let opts = SynthOptions {
        events: n,
        seed,
        ..Default::default()
    };
    let mut v: Vec<SynthEvent> = SynthEvents::new(opts.clone()).unwrap().collect();
    v.sort_by_key(|e| e.at);
    (v, opts)
}

fn add(log: &mut EventLog, e: &SynthEvent, opts: &SynthOptions) {
    let user = format!("u{}", e.user);
    match e.channel {
        Some(c) => log.add_touch(&user, e.at, &opts.channels[c]).unwrap(),
        None => log.add_conversion(&user, e.at, 1.0, e.value).unwrap(),
    }
}

/// One snapshot per simulated day: `(day, stream heap, active users, event-log heap, events)`.
type Day = (i64, usize, usize, usize, u64);

/// Feeds the events in hourly batches; after each batch checks that only users with an event
/// less than `lookback + lateness` ago hold state. Returns a snapshot at the end of each day, the
/// journeys, and the batch builder's journeys on the same events (when `compare`).
fn simulate(events: &[SynthEvent], opts: &SynthOptions, compare: bool) -> Vec<Day> {
    let config = StreamConfig::default();
    let horizon = config
        .journeys
        .lookback
        .unwrap()
        .num_microseconds()
        .unwrap();
    let mut stream = JourneyStream::new(config.clone()).unwrap();
    let mut batch = EventLog::new();
    let mut whole = EventLog::new();
    let mut last_event: HashMap<u64, i64> = HashMap::new();
    let mut days = Vec::new();
    let mut got = Vec::new();
    let start = opts.start;
    let mut i = 0;
    let mut hour = 0i64;
    let mut seen = 0u64;
    while i < events.len() {
        hour += 1;
        let end = start + hour * HOUR;
        batch.clear();
        while i < events.len() && events[i].at < end {
            add(&mut batch, &events[i], opts);
            add(&mut whole, &events[i], opts);
            last_event.insert(events[i].user, events[i].at);
            i += 1;
            seen += 1;
        }
        let r = stream.push(&batch).unwrap();
        assert_eq!(r.late, 0);
        got.extend(stream.take_closed().journeys);
        if hour % 24 == 0 {
            // state only for users with an event at most `lookback` before the watermark
            let w = stream.watermark().unwrap();
            let recent = last_event.values().filter(|&&t| t >= w - horizon).count();
            let report = stream.report();
            assert!(
                report.active_users <= recent,
                "{} > {recent}",
                report.active_users
            );
            last_event.retain(|_, t| *t >= w - horizon);
            days.push((
                hour / 24,
                stream.heap_bytes(),
                report.active_users,
                whole.heap_bytes(),
                seen,
            ));
        }
    }
    stream.flush().unwrap();
    got.extend(stream.take_closed().journeys);
    assert_eq!(stream.report().active_users, 0);
    if compare {
        let (mut want, _) = whole.build_journeys(&config.journeys).unwrap();
        let key = |j: &touchpoint::Journey| format!("{j:?}");
        want.journeys.sort_by_cached_key(key);
        got.sort_by_cached_key(key);
        assert_eq!(got, want.journeys);
    }
    days
}

#[test]
fn memory_follows_the_active_users_not_the_events_seen() {
    let (events, opts) = events(60_000, 3);
    let days = simulate(&events, &opts, true);
    // users arrive for 90 days and stay about 16: from day 45 to 90 the load is steady, and so is
    // the heap, while the events seen keep growing
    let at = |d: i64| days.iter().find(|x| x.0 == d).unwrap();
    let (mid, late) = (at(45), at(90));
    assert!(
        late.4 > mid.4 * 3 / 2,
        "events grow: {} -> {}",
        mid.4,
        late.4
    );
    assert!(
        (late.1 as f64) < 1.5 * mid.1 as f64,
        "heap steady: {} -> {}",
        mid.1,
        late.1
    );
    // after the last user's window everything is freed
    let last = days.last().unwrap();
    assert!(last.1 < mid.1 / 4, "{last:?}");
}

/// The README's figure: a shop with about 100k orders a month (6.1M generated events over 90
/// days of arrivals: ~290k conversions), fed hour by hour.
#[test]
#[ignore = "a measurement (about 6M events): run with --release -- --ignored --nocapture"]
fn memory_of_a_month_of_a_100k_orders_a_month_shop() {
    let (events, opts) = events(6_100_000, 1);
    let conversions = events.iter().filter(|e| e.channel.is_none()).count();
    let days = simulate(&events, &opts, false);
    println!("events {} conversions {conversions}", events.len());
    println!("day  stream_heap_MiB  active_users  event_log_heap_MiB  events_seen");
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    for &(d, heap, users, log, seen) in &days {
        if [1, 10, 31, 60, 90].contains(&d) || d == days.len() as i64 {
            println!(
                "{d:>3}  {:>15.1}  {users:>12}  {:>18.1}  {seen:>11}",
                mib(heap),
                mib(log)
            );
        }
    }
    let peak = days.iter().map(|d| d.1).max().unwrap();
    println!("peak stream heap {:.1} MiB", mib(peak));
}
