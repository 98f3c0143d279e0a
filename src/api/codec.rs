//! The protobuf codec of railgate's services and clients: tonic's prost
//! codec with smaller per-call buffers.
//!
//! tonic allocates an encode buffer and a decode buffer of 8 KiB for every
//! call and keeps them for the call's life. A WatchOrder stream lives for
//! hours and carries events of about 1 KiB: 10,000 streams held 160 MiB of
//! mostly empty buffers (`railgate-bench watch`, both ends in one process).
//! Buffers that start small grow to fit (doubling), so a large answer such
//! as Search costs a few more reallocations, nothing more.

use prost::Message;
use std::marker::PhantomData;
use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstDecoder, ProstEncoder};

/// The initial size of a call's encode and decode buffers.
const BUFFER_SIZE: usize = 1024;
/// How many encoded bytes of a stream are sent together at most (tonic's
/// default).
const YIELD_THRESHOLD: usize = 32 * 1024;

/// `tonic_prost::ProstCodec` with [`BUFFER_SIZE`] buffers; the generated
/// services and clients use it (`build.rs`).
#[derive(Debug, Clone)]
pub struct ProstCodec<T, U> {
    _types: PhantomData<(T, U)>,
}

impl<T, U> Default for ProstCodec<T, U> {
    fn default() -> Self {
        Self {
            _types: PhantomData,
        }
    }
}

impl<T, U> Codec for ProstCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(buffers())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::new(buffers())
    }
}

fn buffers() -> BufferSettings {
    BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD)
}
