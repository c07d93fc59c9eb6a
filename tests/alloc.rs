//! A warm scorer credits a journey without allocating (the request-handler contract of
//! `touchpoint::fit::Scorer`), checked with a counting global allocator, for every model of
//! the registry: the rules and games ([`TABLE_MODELS`]) and the fitted conversion models
//! ([`CONVERSION_MODELS`], whose buffers live in the scorer).
#![allow(unsafe_code)] // the allocator below; the library itself forbids unsafe code

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use touchpoint::registry::{CONVERSION_MODELS, ModelOptions, TABLE_MODELS, build_model};
use touchpoint::{Journey, Outcome, PathTable, Touchpoint};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the test's own thread counts (the harness allocates on others now and then).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    // `try_with`: the thread-local may be gone while a thread shuts down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        count();
        // SAFETY: as `GlobalAlloc::realloc`.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_warm_scorer_allocates_nothing_per_journey_for_every_model() {
    let mut t = PathTable::new();
    t.add(
        ["Search", "Email", "Direct"],
        Outcome::new(3.0, 240.0, 10.0),
    )
    .unwrap();
    t.add(["Email"], Outcome::new(1.0, 40.0, 4.0)).unwrap();
    t.add(["Display", "Search"], Outcome::new(1.0, 5.0, 25.0))
        .unwrap();
    let day = |d: i64| chrono::DateTime::from_timestamp(1_700_000_000 + d * 86_400, 0).unwrap();
    let untimed = Journey::from_channels(
        ["Display", "Search", "Email", "Search", "Direct"],
        Outcome::converted(1.0, 80.0),
    );
    let timed = Journey {
        touches: ["Display", "Search", "Email", "Search", "Direct"]
            .iter()
            .enumerate()
            .map(|(i, c)| Touchpoint::at(*c, day(i as i64)))
            .collect(),
        outcome: Outcome::converted(1.0, 80.0),
        converted_at: Some(day(5)),
        ..Journey::default()
    };
    // The conversion models fit a timed table of many journeys (additive_hazard needs times;
    // logistic and dda ignore them).
    let mut timed_table = PathTable::new();
    let names = ["Display", "Search", "Email", "Direct"];
    for k in 0..400i64 {
        let len = 1 + (k % 4) as usize;
        let path: Vec<&str> = (0..len)
            .map(|i| names[(k as usize * 7 + i * 3) % 4])
            .collect();
        let times: Vec<i64> = (0..len as i64)
            .map(|i| (1_700_000_000 + k * 3_600 + i * 86_400) * 1_000_000)
            .collect();
        let converts = k % 3 == 0 || (len > 2 && k % 2 == 0);
        let o = if converts {
            Outcome::converted(1.0, 50.0)
        } else {
            Outcome::null(1.0)
        };
        let at = converts.then(|| times[len - 1] + 3_600_000_000);
        timed_table.add_timed(path, &times, at, o).unwrap();
    }
    let table_models = TABLE_MODELS.iter().map(|n| (n, &t));
    let conversion_models = CONVERSION_MODELS.iter().map(|n| (n, &timed_table));
    for (name, table) in table_models.chain(conversion_models) {
        let fitted = build_model(name, &ModelOptions::default())
            .and_then(|m| m.fit(table))
            .unwrap();
        let mut scorer = fitted.scorer();
        for j in [&untimed, &timed] {
            // Warm-up: buffers grow, names are learnt. A timed model refuses an untimed
            // journey with a typed error (checked in the model's own tests).
            if name == &"additive_hazard" && j.touches[0].at.is_none() {
                assert!(scorer.credit(j).is_err());
                continue;
            }
            scorer.credit(j).unwrap();
            COUNTING.with(|c| c.set(true));
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            let mut sum = 0.0;
            for _ in 0..1000 {
                sum += scorer
                    .credit(j)
                    .unwrap()
                    .iter()
                    .map(|c| c.value)
                    .sum::<f64>();
            }
            let after = ALLOCATIONS.load(Ordering::Relaxed);
            COUNTING.with(|c| c.set(false));
            assert_eq!(after - before, 0, "{name}: allocations in 1000 warm calls");
            assert!(sum.is_finite());
        }
    }
}
