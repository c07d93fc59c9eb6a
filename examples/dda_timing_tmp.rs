use touchpoint::synth::{SynthConfig, SynthSize, generate};
use touchpoint::{AttributionModel, Dda, Logistic};
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let t = generate(&SynthConfig { size: SynthSize::DistinctPaths(1_000_000), channels: 30, mean_path_len: 4.0, seed: 7, ..SynthConfig::default() }).unwrap();
    let (s, c) = (std::time::Instant::now(), cpu());
    match which.as_str() {
        "fit" => { let f = Logistic { holdout: 0.0, ..Logistic::default() }.fit(&t).unwrap(); eprintln!("features {} iters {}", f.features(), f.iterations()); }
        "logistic" => { let _ = Logistic::default().attribute(&t).unwrap(); }
        _ => { let _ = Dda::default().attribute(&t).unwrap(); }
    }
    eprintln!("{which}: wall {:.2}s cpu {:.2}s", s.elapsed().as_secs_f64(), cpu() - c);
}
