pub mod proto {
    tonic::include_proto!("railgate.v1");
}
