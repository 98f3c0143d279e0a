//! Compiles `proto/railgate/v1/*.proto` with protox (pure Rust, no system
//! `protoc`) and writes the descriptor set that server reflection serves,
//! with source info so `grpcurl describe` shows the API's comments.

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &[
    "proto/railgate/v1/common.proto",
    "proto/railgate/v1/booking.proto",
    "proto/railgate/v1/account.proto",
    "proto/railgate/v1/admin.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in PROTO_FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    // sqlx::migrate! embeds migrations/ at compile time; a new file must
    // trigger a rebuild.
    println!("cargo:rerun-if-changed=migrations");
    let mut compiler = protox::Compiler::new([PROTO_ROOT])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTO_FILES)?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("railgate_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        // Smaller per-call buffers than tonic's (see src/api/codec.rs).
        .codec_path("crate::api::codec::ProstCodec")
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
