//! Compiles `proto/railgate/v1/*.proto` with protox (pure Rust, no system
//! `protoc`) and writes the descriptor set that server reflection serves.

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &[
    "proto/railgate/v1/common.proto",
    "proto/railgate/v1/booking.proto",
    "proto/railgate/v1/account.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in PROTO_FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    let file_descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("railgate_descriptor.bin"))
        .compile_fds(file_descriptors)?;
    Ok(())
}
