//! `events_parquet`: the event log of `generate --events N --seed S` written as Parquet with
//! typed columns (feature `parquet`), to compare the Parquet reader with the CSV one on the
//! same events.
//!
//! ```text
//! cargo run --release --features parquet --example events_parquet -- \
//!     --events 5000000 --seed 7 -o events5m.parquet
//! attribute --events events5m.parquet --models first_touch,last_touch,linear,markov
//! ```
//!
//! Columns: `user_id` (utf8, `u<number>`), `timestamp` (timestamp µs UTC, cut to the
//! millisecond as the CSV writes it), `channel` (utf8, null on a conversion), `conversion`
//! (int64, 0 or 1), `value` (float64 of the CSV's two-decimal text, null on a touch). So the
//! attribution of this file equals that of the CSV of the same options, digit for digit.

fn main() {
    if let Err(e) = write::run() {
        eprintln!("events_parquet: {e}");
        std::process::exit(1);
    }
}

mod write {
    use std::fs::File;
    use std::sync::Arc;

    use arrow_array::builder::{
        Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    };
    use arrow_array::{ArrayRef, RecordBatch};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use clap::Parser;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use touchpoint::events::synth::{SynthEvents, SynthOptions};

    /// events_parquet: a seeded synthetic event log as Parquet
    #[derive(Parser, Debug)]
    #[command(name = "events_parquet")]
    struct Args {
        /// Events to generate (as `generate --events`).
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        events: u64,
        /// Seed (as `generate --seed`).
        #[arg(long, value_name = "S", default_value_t = 0)]
        seed: u64,
        /// Output file.
        #[arg(short, long, value_name = "FILE")]
        output: String,
    }

    /// Rows per record batch written.
    const BATCH: usize = 65_536;

    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        let args = Args::parse();
        let opts = SynthOptions {
            events: args.events,
            seed: args.seed,
            ..SynthOptions::default()
        };
        let channels = opts.channels.clone();
        let schema = Arc::new(Schema::new(vec![
            Field::new("user_id", DataType::Utf8, false),
            Field::new(
                "timestamp",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("channel", DataType::Utf8, true),
            Field::new("conversion", DataType::Int64, false),
            Field::new("value", DataType::Float64, true),
        ]));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = File::create(&args.output).map_err(|e| format!("{}: {e}", args.output))?;
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
        let mut stream = SynthEvents::new(opts)?.peekable();
        let mut written = 0u64;
        while stream.peek().is_some() {
            let (mut user, mut time) = (StringBuilder::new(), TimestampMicrosecondBuilder::new());
            let (mut channel, mut conversion) = (StringBuilder::new(), Int64Builder::new());
            let mut value = Float64Builder::new();
            for e in stream.by_ref().take(BATCH) {
                user.append_value(format!("u{}", e.user));
                time.append_value(e.at.div_euclid(1000) * 1000);
                match e.channel {
                    Some(c) => {
                        channel.append_value(&channels[c]);
                        conversion.append_value(0);
                        value.append_null();
                    }
                    None => {
                        channel.append_null();
                        conversion.append_value(1);
                        value.append_value(format!("{:.2}", e.value).parse()?);
                    }
                }
                written += 1;
            }
            let columns: Vec<ArrayRef> = vec![
                Arc::new(user.finish()),
                Arc::new(time.finish().with_timezone("UTC")),
                Arc::new(channel.finish()),
                Arc::new(conversion.finish()),
                Arc::new(value.finish()),
            ];
            writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        }
        writer.close()?;
        eprintln!("events_parquet: {written} events -> {}", args.output);
        Ok(())
    }
}
