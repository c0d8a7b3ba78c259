//! Counter-based randomness: every Gaussian is a pure function of
//! `(seed, stream, path, step, component)`, so results do not depend on threads, blocks or
//! which range of paths is computed.

mod ars;
mod normal;

pub use normal::{fill_normals, normal, normals_row_len, BoxMuller, Stream};

pub use ars::{ars4x32, RoundKeys, ROUNDS as ARS_ROUNDS};

/// The simulator's normals `z[path, step, component]` for paths
/// `first_path .. first_path + n_paths` and steps `0 .. n_steps`, written `(path, step, comp)`
/// row-major into `out`; bit-identical to what [`crate::simulation::simulate`] draws on this CPU
/// in `f64` (`f32` runs transform the same words in `f32`).
#[allow(clippy::too_many_arguments)]
pub fn standard_normals(
    seed: u64,
    stream: Stream,
    first_path: u64,
    n_paths: usize,
    n_steps: usize,
    n_components: usize,
    out: &mut [f64],
    progress: &crate::progress::Progress,
) -> crate::Result<()> {
    if Some(out.len())
        != n_paths
            .checked_mul(n_steps)
            .and_then(|n| n.checked_mul(n_components))
    {
        return Err(crate::Error::invalid(
            "out",
            "length must be n_paths * n_steps * n_components",
        ));
    }
    if n_steps > u32::MAX as usize {
        return Err(crate::Error::invalid("n_steps", "at most 2^32 - 1 steps"));
    }
    if n_components > 1 << 30 {
        return Err(crate::Error::invalid(
            "n_components",
            "at most 2^30 components",
        ));
    }
    // Paths are drawn in runs of about 2¹⁶ normals, a fraction of a millisecond each, with a
    // checkpoint between runs so that Ctrl-C stays prompt.
    let per_path = n_steps * n_components;
    let run = (1usize << 16).div_ceil(per_path.max(1)).max(1);
    for (index, chunk) in out.chunks_mut((run * per_path).max(1)).enumerate() {
        progress.checkpoint()?;
        let first = first_path + (index * run) as u64;
        draw(
            seed,
            stream,
            first,
            chunk.len() / per_path.max(1),
            n_steps,
            n_components,
            chunk,
        );
    }
    Ok(())
}

/// Normals of `n_paths` paths from `first_path`, `(path, step, comp)` row-major into `out`.
fn draw(
    seed: u64,
    stream: Stream,
    first_path: u64,
    n_paths: usize,
    n_steps: usize,
    n_components: usize,
    out: &mut [f64],
) {
    crate::dispatch!(
        fn draw(
            seed: u64,
            stream: Stream,
            first_path: u64,
            n_paths: usize,
            n_steps: usize,
            n_components: usize,
            out: &mut [f64],
        ) -> () {
            let stride = normals_row_len(n_components);
            let mut row = vec![0.0; stride];
            for path in 0..n_paths {
                for step in 0..n_steps {
                    fill_normals::<f64, FMA>(
                        seed,
                        stream,
                        first_path + path as u64,
                        1,
                        step as u32,
                        n_components,
                        &mut row,
                        stride,
                    );
                    let dst = (path * n_steps + step) * n_components;
                    out[dst..dst + n_components].copy_from_slice(&row[..n_components]);
                }
            }
        }
    )
}
