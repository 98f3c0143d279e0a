//! Replays every committed input of every fuzz target through its
//! function: the corpora (`fuzz/corpus/<target>/`, seeds and what the
//! fuzzer kept) and the regressions (`fuzz/regressions/<target>/`, every
//! crash found, kept after its fix). Also checks that the targets listed
//! here, the fuzz crate's targets and the corpora are the same set.

use super::TARGETS;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// The names of the `.rs` files in `fuzz/fuzz_targets/`.
fn fuzz_crate_targets() -> BTreeSet<String> {
    inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_target_is_in_the_fuzz_crate_and_calls_its_function() {
    let listed: BTreeSet<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(listed.len(), TARGETS.len(), "target names are unique");
    assert_eq!(fuzz_crate_targets(), listed, "fuzz/fuzz_targets/*.rs");
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for name in &listed {
        let source = fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs")))
            .expect("the target's file");
        assert!(
            source.contains(&format!("railgate::fuzzing::{name}(")),
            "fuzz_targets/{name}.rs calls railgate::fuzzing::{name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has a [[bin]] {name}"
        );
    }
}

#[test]
fn every_target_has_a_corpus() {
    let empty: Vec<&str> = TARGETS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| inputs(&fuzz_dir().join("corpus").join(name)).is_empty())
        .collect();
    assert!(empty.is_empty(), "no corpus in fuzz/corpus/ for {empty:?}");
}

#[test]
fn corpora_and_regressions_replay_without_a_panic() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, run) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(!corpus.is_empty(), "no corpus in fuzz/corpus/{name}");
        let regressions = inputs(&fuzz_dir().join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let data = fs::read(path).expect("a readable input");
            replayed += 1;
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failures.push(path.strip_prefix(fuzz_dir()).unwrap_or(path).to_owned());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that panic: {failures:?}");
    assert!(replayed >= TARGETS.len());
}
