//! Counter-based randomness: every Gaussian is a pure function of
//! `(seed, stream, path, step, component)`, so results do not depend on threads, blocks or
//! which range of paths is computed.

mod normal;
mod philox;

pub use normal::{fill_normals, normal, Stream};
pub use philox::philox4x32_10;
