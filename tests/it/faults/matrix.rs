//! The matrix: every provider operation railgate calls under every fault.
//! One group (railgate, both simulators, two proxies) per provider and
//! fault; the groups run side by side, each one's cells in turn.

use super::group::Group;
use super::juhe_cells::{self, JuheOp};
use super::observe::Row;
use super::panhe_cells::{self, PanheOp};
use super::proxy::Fault;
use super::table;
use futures_util::future::join_all;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_operation_under_every_network_fault() {
    let panhe = Fault::ALL.map(panhe_group);
    let juhe = Fault::ALL.map(juhe_group);
    let (panhe, juhe) = tokio::join!(join_all(panhe), join_all(juhe));
    let mut rows: Vec<Row> = panhe.into_iter().chain(juhe).flatten().collect();
    // Operation by operation, each under every fault in turn.
    rows.sort_by_key(|row| (row.provider != "Panhe", position(row)));
    table::publish(&table::render(&rows));
    let violations: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            row.violations.iter().map(move |violation| {
                format!(
                    "{} {} under {}: {violation}",
                    row.provider,
                    row.operation,
                    row.fault.name()
                )
            })
        })
        .collect();
    assert!(
        violations.is_empty(),
        "{} cells misbehaved:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// Where a row goes: its operation's place, then its fault's.
fn position(row: &Row) -> (usize, usize) {
    let operation = if row.provider == "Panhe" {
        PanheOp::ALL
            .iter()
            .position(|op| op.label() == row.operation)
    } else {
        JuheOp::ALL
            .iter()
            .position(|op| op.label() == row.operation)
    };
    let operation = operation.unwrap_or(usize::MAX);
    let fault = Fault::ALL.iter().position(|fault| *fault == row.fault);
    (operation, fault.unwrap_or(usize::MAX))
}

async fn panhe_group(fault: Fault) -> Vec<Row> {
    let group = Group::start().await;
    let mut rows = Vec::new();
    for op in PanheOp::ALL {
        let tag = format!("{fault:?}-{op:?}");
        rows.push(panhe_cells::run(&group, op, fault, &tag).await);
    }
    assert_eq!(group.proxy_problems(), Vec::<String>::new());
    rows
}

async fn juhe_group(fault: Fault) -> Vec<Row> {
    let group = Group::start().await;
    let mut rows = Vec::new();
    for op in JuheOp::ALL {
        let tag = format!("{fault:?}-{op:?}");
        rows.push(juhe_cells::run(&group, op, fault, &tag).await);
    }
    assert_eq!(group.proxy_problems(), Vec::<String>::new());
    rows
}
