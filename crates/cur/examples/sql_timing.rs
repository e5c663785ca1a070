//! Times SQL over the canonical view, for whoever works on the scans:
//! `cargo run --release -p orgpool-cur --example sql_timing -- PATH SQL...`
//! opens PATH as billing data and runs each statement in turn (the view is
//! `line_items`; `SET datafusion.…` statements work too), printing the rows
//! returned and the seconds taken. `EXPLAIN …` statements, or any statement
//! with `SHOW=1` in the environment, print their result.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: sql_timing PATH SQL...");
        return ExitCode::from(2);
    };
    let t = Instant::now();
    let data = match orgpool_cur::BillingData::open(&[path], None) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("open {:.3}s", t.elapsed().as_secs_f64());
    for sql in args {
        let t = Instant::now();
        match data.query(&sql) {
            Ok(batches) => {
                let seconds = t.elapsed().as_secs_f64();
                if sql.starts_with("EXPLAIN") || std::env::var_os("SHOW").is_some() {
                    match arrow::util::pretty::pretty_format_batches(&batches) {
                        Ok(table) => println!("{table}"),
                        Err(e) => eprintln!("cannot print the result: {e}"),
                    }
                }
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                let head: String = sql.chars().take(80).collect();
                println!("{rows} rows {seconds:.3}s  {head}");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
