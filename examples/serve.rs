//! An attribution service: events in, per-conversion credit out, over HTTP (axum).
//!
//! ```text
//! cargo run --release --features serve --example serve -- --addr 127.0.0.1:8080
//! ```
//!
//! | request | answer |
//! |---|---|
//! | `POST /events` | body: JSON Lines in the event-log format (`user_id`, `timestamp`, `channel`, `conversion`, `value`, `order_id`); fed to the incremental journey builder. Answers `{"events", "late", "closed_journeys", "journeys", "watermark"}` |
//! | `POST /flush` | closes every open journey (end of the stream) |
//! | `POST /fit?model=NAME` | fits NAME on the journeys closed so far |
//! | `GET /conversions/{id}?model=NAME` | per-touch credit of conversion `id`: the `attribute --per-touch` fields as JSON |
//! | `GET /attribution?model=NAME` | the `attribute --format json` document of the fitted model |
//!
//! Bad requests get a 4xx status and the library's error text as `{"error": "..."}`; the
//! service never crashes on input. Journeys are cut as `attribute --events FILE --nulls
//! windowed` cuts them (`--lookback`, default 30 days), with `--lateness` (default 10 minutes)
//! of allowed disorder; later events are counted (`late`), never applied.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::TimeDelta;
use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};
use touchpoint::events::{
    EventFormat, EventOptions, JourneyStream, StreamConfig, parse_duration, read_events,
};
use touchpoint::fit::{FittedModel, PER_TOUCH_COLUMNS, write_per_touch};
use touchpoint::registry::{ModelOptions, build_model};
use touchpoint::report::{Format, Summary, write_report};
use touchpoint::{Error, Journey, PathTable};

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::Failure;

/// An HTTP attribution service over touchpoint's incremental journey builder and fitted models.
#[derive(Parser, Debug)]
#[command(name = "serve", version)]
struct Cli {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Lookback window before each conversion.
    #[arg(long, default_value = "30d", value_parser = duration)]
    lookback: TimeDelta,
    /// How far behind the latest event an event may arrive and still count.
    #[arg(long, default_value = "10m", value_parser = duration)]
    lateness: TimeDelta,
}

fn duration(s: &str) -> Result<TimeDelta, Error> {
    parse_duration("duration", s)
}

/// Everything the service knows, behind one lock.
struct Service {
    stream: JourneyStream,
    read: EventOptions,
    /// Closed journeys, in the order they closed, and where each conversion is.
    journeys: Vec<Journey>,
    by_conversion: HashMap<String, usize>,
    table: PathTable,
    fitted: HashMap<String, FittedModel>,
}

type Shared = Arc<Mutex<Service>>;

/// An error answer: a status and the library's message.
struct Failed(StatusCode, String);

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        let status = match e {
            Error::NoConversions { .. } => StatusCode::CONFLICT,
            Error::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Failed(status, e.to_string())
    }
}

type Answer = Result<axum::Json<Value>, Failed>;

#[derive(Deserialize)]
struct ModelQuery {
    model: Option<String>,
}

impl ModelQuery {
    fn name(&self) -> Result<&str, Failed> {
        self.model.as_deref().ok_or_else(|| {
            Failed(
                StatusCode::BAD_REQUEST,
                "missing query parameter `model`".into(),
            )
        })
    }
}

fn lock(s: &Shared) -> Result<MutexGuard<'_, Service>, Failed> {
    s.lock()
        .map_err(|_| Failed(StatusCode::INTERNAL_SERVER_ERROR, "state poisoned".into()))
}

impl Service {
    /// Moves the journeys the stream closed into the store and the table.
    fn collect(&mut self) -> Result<usize, Error> {
        let closed = self.stream.take_closed();
        let n = closed.journeys.len();
        for j in closed.journeys {
            self.table.add_journey(&j)?;
            if let Some(id) = &j.conversion_id {
                self.by_conversion.insert(id.clone(), self.journeys.len());
            }
            self.journeys.push(j);
        }
        Ok(n)
    }

    fn status(&self, events: u64, late: u64, closed: usize) -> Value {
        json!({
            "events": events,
            "late": late,
            "closed_journeys": closed,
            "journeys": self.journeys.len(),
            "watermark": self.stream.watermark(),
        })
    }

    fn fitted(&self, name: &str) -> Result<&FittedModel, Failed> {
        self.fitted.get(name).ok_or_else(|| {
            Failed(
                StatusCode::NOT_FOUND,
                format!("model `{name}` is not fitted: POST /fit?model={name} first"),
            )
        })
    }
}

async fn events(State(s): State<Shared>, body: String) -> Answer {
    let mut svc = lock(&s)?;
    let (batch, read) = read_events(body.as_bytes(), &svc.read)?;
    let pushed = svc.stream.push(&batch)?;
    let closed = svc.collect()?;
    Ok(axum::Json(svc.status(read.rows, pushed.late, closed)))
}

async fn flush(State(s): State<Shared>) -> Answer {
    let mut svc = lock(&s)?;
    svc.stream.flush()?;
    let closed = svc.collect()?;
    Ok(axum::Json(svc.status(0, 0, closed)))
}

async fn fit(State(s): State<Shared>, Query(q): Query<ModelQuery>) -> Answer {
    let name = q.name()?;
    let model = build_model(name, &ModelOptions::default())?;
    let mut svc = lock(&s)?;
    let fitted = model.fit(&svc.table)?;
    let answer = json!({
        "model": name,
        "journeys": svc.journeys.len(),
        "conversions": fitted.attribution().total_conversions,
        "residual": fitted.residual(),
    });
    svc.fitted.insert(name.to_string(), fitted);
    Ok(axum::Json(answer))
}

async fn conversion(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<ModelQuery>,
) -> Answer {
    let name = q.name()?;
    let svc = lock(&s)?;
    let fitted = svc.fitted(name)?;
    let Some(&j) = svc.by_conversion.get(&id) else {
        return Err(Failed(
            StatusCode::NOT_FOUND,
            format!("no closed journey has conversion `{id}`"),
        ));
    };
    // The same rows as `attribute --per-touch`, as JSON objects.
    let mut csv = Vec::new();
    write_per_touch(std::slice::from_ref(fitted), &svc.journeys[j..=j], &mut csv)?;
    let mut rows = Vec::new();
    for rec in csv::Reader::from_reader(&csv[..]).records() {
        let rec = rec.map_err(|e| Failed(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if rec.get(2) != Some(id.as_str()) {
            continue; // residual rows belong to the model, not to this conversion
        }
        let mut row = serde_json::Map::new();
        for (col, field) in PER_TOUCH_COLUMNS.iter().zip(rec.iter()) {
            let v = match *col {
                "touch_index" => field.parse::<u64>().map(Value::from).unwrap_or(Value::Null),
                "credit" | "value" => field.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
                _ if field.is_empty() => Value::Null,
                _ => Value::from(field),
            };
            row.insert((*col).to_string(), v);
        }
        rows.push(Value::Object(row));
    }
    Ok(axum::Json(Value::Array(rows)))
}

async fn attribution(State(s): State<Shared>, Query(q): Query<ModelQuery>) -> Response {
    let run = || -> Result<Vec<u8>, Failed> {
        let name = q.name()?;
        let svc = lock(&s)?;
        let fitted = svc.fitted(name)?;
        let summary = Summary::from_table("service", &svc.table);
        let mut out = Vec::new();
        write_report(
            &mut out,
            Format::Json,
            &[fitted.attribution().clone()],
            Some(&summary),
        )?;
        Ok(out)
    };
    match run() {
        Ok(body) => ([("content-type", "application/json")], body).into_response(),
        Err(f) => f.into_response(),
    }
}

fn main() {
    common::main_with(|c| c, run);
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut config = StreamConfig::default();
    config.journeys.lookback = Some(cli.lookback);
    config.allowed_lateness = cli.lateness;
    let read = EventOptions {
        format: Some(EventFormat::JsonLines),
        ..EventOptions::default()
    };
    let service = Service {
        stream: JourneyStream::new(config)?,
        read,
        journeys: Vec::new(),
        by_conversion: HashMap::new(),
        table: PathTable::new(),
        fitted: HashMap::new(),
    };
    let app = Router::new()
        .route("/events", post(events))
        .route("/flush", post(flush))
        .route("/fit", post(fit))
        .route("/conversions/{id}", get(conversion))
        .route("/attribution", get(attribution))
        .with_state(Arc::new(Mutex::new(service)));
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&cli.addr)
            .await
            .map_err(|e| format!("{}: {e}", cli.addr))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // The first line of stdout: where to connect (tests start it on port 0).
        println!("listening on {addr}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })?;
    Ok(())
}
