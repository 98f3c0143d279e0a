//! The matrix as markdown, and where it goes: printed always, written
//! into docs/RELIABILITY.md between its markers with
//! `RAILGATE_WRITE_RELIABILITY=1`, otherwise compared with what the file
//! holds (a difference is reported, not failed on: the file is
//! documentation, the checks are the test's).

use super::observe::Row;
use super::proxy::Fault;
use std::fmt::Write;
use std::path::PathBuf;

const START: &str = "<!-- fault-matrix:start -->";
const END: &str = "<!-- fault-matrix:end -->";

/// The summary grid (operation × fault → answer code) and every row in
/// full. `rows` come in the order they should be shown.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("### Summary: the caller's answer\n\n");
    out.push_str("| Provider | Operation |");
    for fault in Fault::ALL {
        let _ = write!(out, " {} |", fault.name());
    }
    out.push_str("\n| --- | --- |");
    for _ in Fault::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    let mut operations: Vec<(&str, &str)> = Vec::new();
    for row in rows {
        if !operations.contains(&(row.provider, row.operation)) {
            operations.push((row.provider, row.operation));
        }
    }
    for (provider, operation) in &operations {
        let _ = write!(out, "| {provider} | {operation} |");
        for fault in Fault::ALL {
            let cell = rows
                .iter()
                .find(|row| {
                    row.provider == *provider && row.operation == *operation && row.fault == fault
                })
                .map_or("", |row| short(&row.answer));
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push_str("\n### Every cell\n\n");
    out.push_str(
        "| Provider | Operation | Fault | Answer | Settled | Retry (same key) | Final \
         | Simulator: orders / payments / refunds | Sent |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.provider,
            row.operation,
            row.fault.name(),
            row.answer,
            row.settled,
            row.retry,
            row.last,
            row.at_simulator,
            row.sent,
        );
    }
    out
}

/// The answer in a word or two: the code, or OK with its note.
fn short(answer: &str) -> &str {
    match answer.split_once(" · ") {
        Some(("OK", _)) => answer,
        Some((code, _)) => code,
        None => answer,
    }
}

fn document() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/RELIABILITY.md")
}

/// Prints the matrix, and writes or compares docs/RELIABILITY.md.
pub fn publish(matrix: &str) {
    println!("{matrix}");
    let path = document();
    let text = std::fs::read_to_string(&path).expect("docs/RELIABILITY.md");
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("docs/RELIABILITY.md lacks the {START} … {END} markers");
    };
    let before = &text[..start + START.len()];
    let after = &text[end..];
    let current = text[start + START.len()..end].trim();
    if current == matrix.trim() {
        return;
    }
    if std::env::var("RAILGATE_WRITE_RELIABILITY").as_deref() == Ok("1") {
        std::fs::write(&path, format!("{before}\n{}\n{after}", matrix.trim()))
            .expect("write docs/RELIABILITY.md");
        eprintln!("fault matrix written to {}", path.display());
    } else {
        eprintln!(
            "the fault matrix differs from docs/RELIABILITY.md; \
             RAILGATE_WRITE_RELIABILITY=1 writes it"
        );
    }
}
