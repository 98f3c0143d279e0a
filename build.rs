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
    let descriptors = compiler.file_descriptor_set();
    // Pass one: the messages and the clients.
    tonic_prost_build::configure()
        .build_server(false)
        // Smaller per-call buffers than tonic's (see src/api/codec.rs).
        .codec_path("crate::api::codec::ProstCodec")
        .compile_fds(descriptors.clone())?;
    // Pass two: the servers alone, over pass one's messages, except that
    // Search answers with `SearchReply` (src/api/search_reply.rs): the same
    // bytes on the wire as a `SearchResponse`, with the parts that do not
    // change between answers encoded once. Clients and reflection still
    // see `SearchResponse`.
    let servers_dir = out_dir.join("servers");
    std::fs::create_dir_all(&servers_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .out_dir(&servers_dir)
        .extern_path(".railgate.v1", "crate::proto")
        .extern_path(".railgate.v1.SearchResponse", "crate::proto::SearchReply")
        .codec_path("crate::api::codec::ProstCodec")
        .compile_fds(services_only(descriptors))?;
    Ok(())
}

/// The descriptors with their messages and enums removed: pass two
/// generates services that refer to pass one's types.
fn services_only(
    mut descriptors: prost_types::FileDescriptorSet,
) -> prost_types::FileDescriptorSet {
    for file in &mut descriptors.file {
        file.message_type.clear();
        file.enum_type.clear();
    }
    descriptors
}
