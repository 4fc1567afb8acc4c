//! The benchmarks keep measuring: the KPI and dashboard benchmarks (bench/kpis/run.py,
//! bench/dashboard/run.py) run in their small mode against this build's `advocate`, which
//! checks every figure equal to DuckDB's on the same generated rows (no timing) and exits
//! non-zero on any difference. A change to the schema, the rollups or a report that the
//! benchmarks' generators no longer match fails here, not months later at full size.

use advocate_store::testing::missing_peer;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn duckdb_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import duckdb"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `python3 bench/<name>/run.py --small` with this build's binary; asserts success
/// and shows what the script printed when it fails.
fn run_small(name: &str) {
    if !duckdb_installed() {
        missing_peer::<()>("the Python package duckdb is not installed (pip install duckdb)");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("bench").join(name).join("run.py");
    let out = Command::new("python3")
        .arg("-B") // no __pycache__ in the source tree
        .arg(&script)
        .args(["--small", "--bin", env!("CARGO_BIN_EXE_advocate")])
        .current_dir(&root)
        // The scripts name their own data folders; nothing from the caller's setup applies.
        .env_remove("ADVOCATE_DATABASE_URL")
        .env_remove("ADVOCATE_DATA_DIR")
        .env_remove("ADVOCATE_WORKSPACE")
        .env_remove("ADVOCATE_BIND")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{} --small failed ({}):\n{}\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_kpi_benchmark_figures_equal_duckdbs() {
    run_small("kpis");
}

#[test]
fn the_dashboard_benchmark_figures_equal_duckdbs() {
    run_small("dashboard");
}
