//! The truncated tensor algebra T^{(N)}(R^d) on flat buffers in the "full" layout: index 0
//! holds the level-0 scalar, level k occupies `off[k] .. off[k] + d^k` with words in
//! row-major order.

mod algebra;

pub use algebra::{
    batch_mul_chain, batch_unary, exp, inverse, log, log_vjp, mul, mul_into, UnaryOp,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub d: usize,
    pub depth: usize,
    /// `off[k]` is where level k starts; `off[depth + 1]` is the full length.
    pub off: Vec<usize>,
    /// `pow[k] = d^k`.
    pub pow: Vec<usize>,
}

impl Layout {
    pub fn new(d: usize, depth: usize) -> Self {
        let mut off = Vec::with_capacity(depth + 2);
        let mut pow = Vec::with_capacity(depth + 1);
        let mut o = 0;
        let mut p = 1;
        for _ in 0..=depth {
            off.push(o);
            pow.push(p);
            o += p;
            p *= d;
        }
        off.push(o);
        Layout { d, depth, off, pow }
    }

    /// Length including the scalar.
    pub fn full_len(&self) -> usize {
        self.off[self.depth + 1]
    }

    /// Length without the scalar: `d + … + d^depth`.
    pub fn sig_len(&self) -> usize {
        self.full_len() - 1
    }

    pub fn level<'a>(&self, t: &'a [f64], k: usize) -> &'a [f64] {
        &t[self.off[k]..self.off[k + 1]]
    }

    /// `perm[p]` is the position, in the word-reversed layout, of the word stored at `p` in
    /// the row-major layout. Reversal is an involution, so the table also maps back.
    pub fn reversal_perm(&self) -> Vec<u32> {
        let mut perm = vec![0u32; self.full_len()];
        for k in 0..=self.depth {
            for w in 0..self.pow[k] {
                let mut x = w;
                let mut r = 0;
                for _ in 0..k {
                    r = r * self.d + x % self.d;
                    x /= self.d;
                }
                perm[self.off[k] + w] = (self.off[k] + r) as u32;
            }
        }
        perm
    }

    pub fn identity(&self) -> Vec<f64> {
        let mut t = vec![0.0; self.full_len()];
        t[0] = 1.0;
        t
    }
}

/// `out[i] = src[perm[i]]` (word reversal when `perm` is [`Layout::reversal_perm`]).
#[inline]
pub fn permute(src: &[f64], perm: &[u32], out: &mut [f64]) {
    for (o, &p) in out.iter_mut().zip(perm) {
        *o = src[p as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rand_tensor(lay: &Layout, seed: u64, scalar: f64) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut t: Vec<f64> = (0..lay.full_len())
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect();
        t[0] = scalar;
        t
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn exp_log_roundtrip_and_inverse() {
        let lay = Layout::new(3, 4);
        let x = rand_tensor(&lay, 1, 0.0);
        let e = exp(&lay, &x);
        let l = log(&lay, &e).unwrap();
        assert!(close(&l, &x, 1e-12));
        let inv = inverse(&lay, &e).unwrap();
        let prod = mul(&lay, &e, &inv);
        assert!(close(&prod, &lay.identity(), 1e-12));
        // exp(-x) is the inverse of exp(x).
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        assert!(close(&exp(&lay, &neg), &inv, 1e-12));
    }

    #[test]
    fn log_vjp_matches_central_differences() {
        let lay = Layout::new(2, 4);
        let x = rand_tensor(&lay, 5, 1.3);
        let lbar = rand_tensor(&lay, 6, 0.7);
        let grad = log_vjp(&lay, &x, &lbar).unwrap();
        let f = |t: &[f64]| -> f64 {
            let l = log(&lay, t).unwrap();
            l.iter().zip(&lbar).map(|(a, b)| a * b).sum()
        };
        let h = 1e-6;
        for i in 0..x.len() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let fd = (f(&up) - f(&down)) / (2.0 * h);
            assert!(
                (fd - grad[i]).abs() < 1e-7,
                "entry {i}: {fd} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn reversal_is_an_involution_and_anti_automorphism() {
        let lay = Layout::new(2, 4);
        let perm = lay.reversal_perm();
        let a = rand_tensor(&lay, 3, 1.0);
        let b = rand_tensor(&lay, 4, 1.0);
        let mut ra = vec![0.0; a.len()];
        let mut rb = vec![0.0; a.len()];
        permute(&a, &perm, &mut ra);
        permute(&b, &perm, &mut rb);
        let mut back = vec![0.0; a.len()];
        permute(&ra, &perm, &mut back);
        assert_eq!(back, a);
        let mut rab = vec![0.0; a.len()];
        permute(&mul(&lay, &a, &b), &perm, &mut rab);
        assert!(close(&rab, &mul(&lay, &rb, &ra), 1e-14));
    }
}
