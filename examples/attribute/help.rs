//! The long help texts of `attribute --help`.

pub(crate) const ABOUT: &str =
    "attribute: credit marketing channels for conversions (multi-touch attribution)";

pub(crate) const INPUT: &str = "\
INPUT is a ChannelAttribution path CSV (`-` reads stdin; `.parquet` with --features parquet):
    path,total_conversions,total_conversion_value,total_null
    Paid Search > Email > Direct,12,840,31
The value and null columns are optional.";

pub(crate) const FORMAT: &str = "Output format: table (aligned text for reading); csv (long: \
model,channel,conversions,value,share,value_share); md (Markdown pipe table, channels x models, \
total row); json ({total_conversions, total_value, total_null, channels, models, summary}); \
jsonl (one object per model and channel: the csv fields, plus ci and se with --ci); wide \
(channel x model pivot CSV: channel,<model>_conversions,<model>_value,...)";

pub(crate) const COMPAT: &str = "CSV with ChannelAttribution's column names, one row per channel: \
channel_name, then first_touch -> first_touch_conversions, first_touch_value; last_touch -> \
last_touch_conversions, last_touch_value; linear -> linear_touch_conversions, \
linear_touch_value; markov -> total_conversions, total_conversion_value (without a value column: \
first_touch, last_touch, linear_touch, total_conversions). Other models are an error. \
--transitions then writes channel_from,channel_to,transition_probability";

pub(crate) const EXAMPLES: &str = "\
EXAMPLES:
    # Every model on the bundled sample, as a table:
    attribute examples/data/sample_paths.csv

    # Three models as long CSV, into a file:
    attribute data.csv --models first_touch,last_touch,linear --format csv -o credit.csv

    # Semicolon-separated export with its own column names, read from stdin:
    cat export.csv | attribute - -d ';' --path-col journey --conv-col orders \\
        --value-col revenue --null-col lost --format json

    # Journeys from an event log, 14-day lookback, real-time decay with a 3-day half-life:
    attribute --events events.csv --lookback 14d --half-life 3d --models linear,time_decay

    # 95% intervals from 500 Poisson-bootstrap replicates, one JSON object per line:
    attribute data.csv --models linear,shapley --ci 0.95 --replicates 500 --seed 7 --format jsonl

    # Drop-in for ChannelAttribution's heuristic_models() and markov_model() frames:
    attribute data.csv --models first_touch,last_touch,linear --compat channelattribution
    attribute data.csv --models markov --compat channelattribution --transitions tm.csv

    # A channel x model pivot for a spreadsheet, and a Markdown table for a report:
    attribute data.csv --models last_touch,linear,markov --format wide -o pivot.csv
    attribute data.csv --models last_touch,markov --format md

    # Two worker threads, and a transition heatmap (cargo run --features plot ...):
    attribute data.csv --models markov -j 2 --heatmap transitions.svg

    # A 30/40/30 position-based model and a 2-touch half-life:
    attribute data.csv --models position_based,time_decay --weights 30,40,30 --half-life 2

EXIT STATUS:
    0 on success; 1 on any error, with one line on stderr: `error: FILE:LINE: problem`.";
