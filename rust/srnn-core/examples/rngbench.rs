// Temporary A/B harness (not committed).
use srnn_core::vmath::{ln_positive, madd, sincos_turns};
use std::time::Instant;

const LANES: usize = 8;
const TWO_POW_M32: f64 = 1.0 / 4_294_967_296.0;

#[inline(always)]
fn philox_lanes(ctr: [[u32; LANES]; 4], key: [u32; 2]) -> [[u32; LANES]; 4] {
    let mut c = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(0x9E37_79B9);
            k[1] = k[1].wrapping_add(0xBB67_AE85);
        }
        let mut next = [[0u32; LANES]; 4];
        for l in 0..LANES {
            let p0 = 0xD251_1F53u64 * c[0][l] as u64;
            let p1 = 0xCD9E_8D57u64 * c[2][l] as u64;
            next[0][l] = (p1 >> 32) as u32 ^ c[1][l] ^ k[0];
            next[1][l] = p1 as u32;
            next[2][l] = (p0 >> 32) as u32 ^ c[3][l] ^ k[1];
            next[3][l] = p0 as u32;
        }
        c = next;
    }
    c
}

/// Same function, words held in u64 lanes (< 2^32) so the multiplies are plain vpmuludq.
#[inline(always)]
fn philox_lanes64(ctr: [[u64; LANES]; 4], key: [u32; 2]) -> [[u64; LANES]; 4] {
    let mut c = ctr;
    let mut k0 = key[0] as u64;
    let mut k1 = key[1] as u64;
    const LO: u64 = 0xffff_ffff;
    for round in 0..10 {
        if round > 0 {
            k0 = (k0 + 0x9E37_79B9) & LO;
            k1 = (k1 + 0xBB67_AE85) & LO;
        }
        let mut next = [[0u64; LANES]; 4];
        for l in 0..LANES {
            let p0 = 0xD251_1F53u64 * c[0][l];
            let p1 = 0xCD9E_8D57u64 * c[2][l];
            next[0][l] = (p1 >> 32) ^ c[1][l] ^ k0;
            next[1][l] = p1 & LO;
            next[2][l] = (p0 >> 32) ^ c[3][l] ^ k1;
            next[3][l] = p0 & LO;
        }
        c = next;
    }
    c
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn philox64_only(n: usize) -> u64 {
    let mut acc = [0u64; LANES];
    for i in 0..n {
        let ctr = [
            std::array::from_fn(|l| (i * 8 + l) as u64 & 0xffff_ffff),
            [1; 8],
            [2; 8],
            [3; 8],
        ];
        let w = philox_lanes64(ctr, [5, 6]);
        for l in 0..LANES {
            acc[l] ^= w[0][l] ^ w[1][l] ^ w[2][l] ^ w[3][l];
        }
    }
    acc.iter().fold(0, |a, b| a ^ b)
}

#[inline(always)]
fn u52(x: u64) -> f64 {
    f64::from_bits(4_503_599_627_370_496f64.to_bits() | x) - 4_503_599_627_370_496.0
}

#[inline(always)]
fn bm<const FMA: bool>(a: u32, b: u32) -> (f64, f64) {
    let u = madd::<FMA>(u52(a as u64), TWO_POW_M32, 0.5 * TWO_POW_M32);
    let r = (-2.0 * ln_positive::<FMA>(u)).sqrt();
    let (s, c) = sincos_turns::<FMA>(u52(b as u64) * TWO_POW_M32);
    (r * c, r * s)
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn philox_only(n: usize) -> u32 {
    let mut acc = [0u32; LANES];
    for i in 0..n {
        let ctr = [
            std::array::from_fn(|l| (i * 8 + l) as u32),
            [1; 8],
            [2; 8],
            [3; 8],
        ];
        let w = philox_lanes(ctr, [5, 6]);
        for l in 0..LANES {
            acc[l] ^= w[0][l] ^ w[1][l] ^ w[2][l] ^ w[3][l];
        }
    }
    acc.iter().fold(0, |a, b| a ^ b)
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn bm_only(n: usize) -> f64 {
    let mut acc = [0.0f64; LANES];
    for i in 0..n {
        let w: [[u32; LANES]; 4] = std::array::from_fn(|j| {
            std::array::from_fn(|l| {
                ((i * 8 + l) as u32)
                    .wrapping_mul(2654435761)
                    .wrapping_add(j as u32 * 977)
            })
        });
        for l in 0..LANES {
            let (a, b) = bm::<true>(w[0][l], w[1][l]);
            let (c, d) = bm::<true>(w[2][l], w[3][l]);
            acc[l] += a + b + c + d;
        }
    }
    acc.iter().sum()
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn bm_only16(n: usize) -> f64 {
    const L: usize = 16;
    let mut acc = [0.0f64; L];
    for i in 0..n / 2 {
        let w: [[u32; L]; 4] = std::array::from_fn(|j| {
            std::array::from_fn(|l| {
                ((i * 16 + l) as u32)
                    .wrapping_mul(2654435761)
                    .wrapping_add(j as u32 * 977)
            })
        });
        let mut z = [[0.0f64; L]; 4];
        for l in 0..L {
            let (a, b) = bm::<true>(w[0][l], w[1][l]);
            let (c, d) = bm::<true>(w[2][l], w[3][l]);
            z[0][l] = a;
            z[1][l] = b;
            z[2][l] = c;
            z[3][l] = d;
        }
        for l in 0..L {
            acc[l] += z[0][l] + z[1][l] + z[2][l] + z[3][l];
        }
    }
    acc.iter().sum()
}

#[inline(always)]
fn bm_split<const FMA: bool>(a: u32) -> f64 {
    let u = madd::<FMA>(u52(a as u64), TWO_POW_M32, 0.5 * TWO_POW_M32);
    (-2.0 * ln_positive::<FMA>(u)).sqrt()
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn ln_only(n: usize) -> f64 {
    let mut acc = [0.0f64; LANES];
    for i in 0..n {
        for l in 0..LANES {
            let w = ((i * 8 + l) as u32).wrapping_mul(2654435761);
            acc[l] += bm_split::<true>(w) + bm_split::<true>(w ^ 12345);
        }
    }
    acc.iter().sum()
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn sincos_only(n: usize) -> f64 {
    let mut acc = [0.0f64; LANES];
    for i in 0..n {
        for l in 0..LANES {
            let w = ((i * 8 + l) as u32).wrapping_mul(2654435761);
            let (s1, c1) = sincos_turns::<true>(u52(w as u64) * TWO_POW_M32);
            let (s2, c2) = sincos_turns::<true>(u52((w ^ 12345) as u64) * TWO_POW_M32);
            acc[l] += s1 + c1 + s2 + c2;
        }
    }
    acc.iter().sum()
}

#[inline(always)]
fn recip32<const FMA: bool>(d: f64) -> f64 {
    let r0 = (1.0f32 / d as f32) as f64;
    let r1 = madd::<FMA>(r0, madd::<FMA>(-d, r0, 1.0), r0);
    madd::<FMA>(r1, madd::<FMA>(-d, r1, 1.0), r1)
}
#[inline(always)]
fn sqrt32<const FMA: bool>(x: f64) -> f64 {
    let t0 = (1.0f32 / (x as f32).sqrt()) as f64;
    let t1 = madd::<FMA>(0.5 * t0, madd::<FMA>(-(x * t0), t0, 1.0), t0);
    let t2 = madd::<FMA>(0.5 * t1, madd::<FMA>(-(x * t1), t1, 1.0), t1);
    let y = x * t2;
    madd::<FMA>(0.5 * t2, madd::<FMA>(-y, y, x), y)
}
#[inline(always)]
fn ln_v<const FMA: bool, const RECIP: bool>(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    let e = u52((bits >> 52) & 0x7ff) - 1023.0 + if big { 1.0 } else { 0.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let acc = if RECIP {
        // Estrin: pairs, then pairs of pairs, shortening the dependency chain.
        let c = |j: usize| 2.0 / (2 * j + 1) as f64;
        let z2 = z * z;
        let z4 = z2 * z2;
        let z8 = z4 * z4;
        let p01 = madd::<FMA>(c(1), z, c(0));
        let p23 = madd::<FMA>(c(3), z, c(2));
        let p45 = madd::<FMA>(c(5), z, c(4));
        let p67 = madd::<FMA>(c(7), z, c(6));
        let p89 = madd::<FMA>(c(9), z, c(8));
        let q0 = madd::<FMA>(p23, z2, p01);
        let q1 = madd::<FMA>(p67, z2, p45);
        let q2 = madd::<FMA>(c(10), z2, p89);
        let r0 = madd::<FMA>(q1, z4, q0);
        madd::<FMA>(q2, z8, r0)
    } else {
        let mut acc = 2.0 / 21.0;
        for j in (0..10).rev() {
            acc = madd::<FMA>(acc, z, 2.0 / (2 * j + 1) as f64);
        }
        acc
    };
    madd::<FMA>(
        e,
        f64::from_bits(0x3fe6_2e42_fee0_0000),
        madd::<FMA>(e, f64::from_bits(0x3dea_39ef_3579_3c76), s * acc),
    )
}
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn radius_variant<const RECIP: bool, const SQ: bool>(n: usize) -> f64 {
    let mut acc = [0.0f64; LANES];
    for i in 0..n {
        for l in 0..LANES {
            let w = ((i * 8 + l) as u32).wrapping_mul(2654435761);
            for ww in [w, w ^ 12345] {
                let u = madd::<true>(u52(ww as u64), TWO_POW_M32, 0.5 * TWO_POW_M32);
                let x = -2.0 * ln_v::<true, RECIP>(u);
                acc[l] += if SQ { sqrt32::<true>(x) } else { x.sqrt() };
            }
        }
    }
    acc.iter().sum()
}

fn time<F: FnMut()>(mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let n = 1_000_000; // 8M lanes -> 32M normals
    let mut sink = 0u64;
    let tp = time(|| sink ^= unsafe { philox_only(n) } as u64);
    let t64 = time(|| sink ^= unsafe { philox64_only(n) });
    println!(
        "philox64: {:.3} ns per normal",
        t64 * 1e9 / (32.0 * n as f64)
    );
    let t16 = time(|| sink ^= unsafe { bm_only16(n) }.to_bits());
    let tl = time(|| sink ^= unsafe { ln_only(n) }.to_bits());
    let ts = time(|| sink ^= unsafe { sincos_only(n) }.to_bits());
    println!(
        "bm16: {:.3}; radius part: {:.3}; angle part: {:.3} ns per normal",
        t16 * 1e9 / (32.0 * n as f64),
        tl * 1e9 / (32.0 * n as f64),
        ts * 1e9 / (32.0 * n as f64)
    );
    for (name, f) in [
        (
            "exact",
            radius_variant::<false, false> as unsafe fn(usize) -> f64,
        ),
        ("estrin", radius_variant::<true, false>),
        ("sqrt32", radius_variant::<false, true>),
        ("both", radius_variant::<true, true>),
    ] {
        let t = time(|| sink ^= unsafe { f(n) }.to_bits());
        println!(
            "radius {name}: {:.3} ns per normal",
            t * 1e9 / (32.0 * n as f64)
        );
    }
    let tb = time(|| sink ^= unsafe { bm_only(n) }.to_bits());
    println!(
        "philox: {:.3} ns per normal; box-muller: {:.3} ns per normal ({sink})",
        tp * 1e9 / (32.0 * n as f64),
        tb * 1e9 / (32.0 * n as f64)
    );
}
