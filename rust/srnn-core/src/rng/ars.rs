//! ARS-7, the AES Random Stream of Salmon et al., "Parallel random numbers: as easy as 1, 2,
//! 3" (SC11), as Random123 defines it: the 128-bit counter is XORed with the key, then goes
//! through six AES rounds and a last round, the round keys being the key plus multiples of
//! a Weyl increment. Random123 reports no statistical flaw from 5 rounds; 7 is its default.
//!
//! On x86 and ARM the rounds are single instructions (with VAES four blocks per 512-bit
//! instruction), which is why the simulator draws from ARS rather than Philox4x32-10: 16
//! words take 10 vector operations instead of about 33 (Philox's multiplies and shifts all
//! queue on one port). Elsewhere a table implementation gives the same bits, more slowly
//! (x86 without AES-NI only: ARM has its own AES instructions).

use crate::aligned::CacheLine;

pub const ROUNDS: usize = 7;

/// 64-bit Weyl increments of the low and high halves of the key (Random123's `kweyl`).
const WEYL: [u64; 2] = [0x9E37_79B9_7F4A_7C15, 0xBB67_AE85_84CA_A73B];

/// The keys of the initial XOR and of rounds `1..=rounds`, as (low, high) 64-bit halves.
#[derive(Clone, Copy)]
pub struct RoundKeys<const R: usize>(pub [[u64; 2]; 11]);

impl<const R: usize> RoundKeys<R> {
    pub fn new(key: [u32; 4]) -> Self {
        let mut k = [
            key[0] as u64 | (key[1] as u64) << 32,
            key[2] as u64 | (key[3] as u64) << 32,
        ];
        let mut keys = [[0u64; 2]; 11];
        for slot in keys.iter_mut().take(R + 1) {
            *slot = k;
            k = [k[0].wrapping_add(WEYL[0]), k[1].wrapping_add(WEYL[1])];
        }
        RoundKeys(keys)
    }

    fn words(&self, round: usize) -> [u32; 4] {
        let [lo, hi] = self.0[round];
        [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32]
    }
}

/// ARS with `R` rounds on one counter of four 32-bit words (word 0 least significant, as
/// Random123's `ars4x32`), computed by tables.
pub fn ars4x32<const R: usize>(ctr: [u32; 4], keys: &RoundKeys<R>) -> [u32; 4] {
    const { assert!(R >= 1 && R <= 10) };
    let k0 = keys.words(0);
    let mut s: [u32; 4] = std::array::from_fn(|c| ctr[c] ^ k0[c]);
    for round in 1..R {
        let k = keys.words(round);
        s = std::array::from_fn(|c| {
            TE[byte(s[c], 0)]
                ^ TE[byte(s[(c + 1) % 4], 1)].rotate_left(8)
                ^ TE[byte(s[(c + 2) % 4], 2)].rotate_left(16)
                ^ TE[byte(s[(c + 3) % 4], 3)].rotate_left(24)
                ^ k[c]
        });
    }
    let k = keys.words(R);
    std::array::from_fn(|c| {
        (SBOX[byte(s[c], 0)] as u32
            | (SBOX[byte(s[(c + 1) % 4], 1)] as u32) << 8
            | (SBOX[byte(s[(c + 2) % 4], 2)] as u32) << 16
            | (SBOX[byte(s[(c + 3) % 4], 3)] as u32) << 24)
            ^ k[c]
    })
}

/// Row `row` of an AES state column packed little-endian, as x86's AES instructions do.
#[inline(always)]
fn byte(column: u32, row: u32) -> usize {
    ((column >> (8 * row)) & 0xff) as usize
}

const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The AES S-box from its definition (FIPS-197 §5.1.1): the inverse in GF(2^8), `x^254`,
/// then the affine map.
const SBOX: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        let b = x as u8;
        let (mut inv, mut power, mut e) = (1u8, b, 254u32);
        while e != 0 {
            if e & 1 != 0 {
                inv = gf_mul(inv, power);
            }
            power = gf_mul(power, power);
            e >>= 1;
        }
        table[x] = inv
            ^ inv.rotate_left(1)
            ^ inv.rotate_left(2)
            ^ inv.rotate_left(3)
            ^ inv.rotate_left(4)
            ^ 0x63;
        x += 1;
    }
    table
};

/// SubBytes and MixColumns of row 0's byte: the column `(2s, s, s, 3s)`; the other rows are
/// this rotated by a byte per row.
const TE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut x = 0;
    while x < 256 {
        let s = SBOX[x];
        table[x] =
            gf_mul(s, 2) as u32 | (s as u32) << 8 | (s as u32) << 16 | (gf_mul(s, 3) as u32) << 24;
        x += 1;
    }
    table
};

/// Four calls with consecutive first words `ctr[0], ctr[0] + 1, ...`, the other three words
/// shared: a unit of 8 pairs of words.
pub const UNIT_CALLS: usize = 4;

/// The first calls and paths of `U` units at one step: unit `u`'s calls have counters
/// `(first_call[u] + b, step, path[u])`, `b < 4`. Passed as scalars, not as counter words:
/// the vector code builds each counter in registers (loading 16 bytes just written as four
/// words would stall on store forwarding).
pub(crate) struct UnitCounters<const U: usize> {
    pub step: u32,
    pub first_call: [u32; U],
    pub path: [u64; U],
}

impl<const U: usize> UnitCounters<U> {
    fn counter(&self, unit: usize, b: usize) -> [u32; 4] {
        let path = self.path[unit];
        [
            self.first_call[unit].wrapping_add(b as u32),
            self.step,
            path as u32,
            (path >> 32) as u32,
        ]
    }
}

/// The words of `U` units: call `b` of unit `u` in lanes `8u + 2b` (words 0 and 1, word 0
/// low) and `8u + 2b + 1` (words 2 and 3).
pub(crate) fn units<const U: usize>(
    ctr: &UnitCounters<U>,
    keys: &RoundKeys<ROUNDS>,
    out: &mut CacheLine<[[u64; 8]; U]>,
) {
    #[cfg(target_arch = "x86_64")]
    match hardware() {
        // SAFETY: the features were detected on this CPU at run time.
        Hardware::Vaes512 => return unsafe { x86::units_vaes512(ctr, keys, out) },
        Hardware::AesNi => return unsafe { x86::units_aesni(ctr, keys, out) },
        Hardware::None => {}
    }
    #[cfg(target_arch = "aarch64")]
    if arm::has_aes() {
        // SAFETY: the feature was detected on this CPU at run time.
        return unsafe { arm::units_aes(ctr, keys, out) };
    }
    units_by_tables(ctr, keys, out);
}

pub(crate) fn units_by_tables<const U: usize>(
    ctr: &UnitCounters<U>,
    keys: &RoundKeys<ROUNDS>,
    out: &mut CacheLine<[[u64; 8]; U]>,
) {
    for (u, unit) in out.iter_mut().enumerate() {
        for b in 0..UNIT_CALLS {
            let c = ctr.counter(u, b);
            let x = ars4x32(c, keys);
            unit[2 * b] = x[0] as u64 | (x[1] as u64) << 32;
            unit[2 * b + 1] = x[2] as u64 | (x[3] as u64) << 32;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hardware {
    Vaes512,
    AesNi,
    None,
}

/// The AES instructions this CPU has, capped by the `SRNN_RS_SIMD` level (so `generic`
/// exercises the tables).
#[cfg(target_arch = "x86_64")]
fn hardware() -> Hardware {
    use crate::simd::{level, Level};
    use std::sync::OnceLock;
    static HW: OnceLock<Hardware> = OnceLock::new();
    *HW.get_or_init(|| {
        let level = level();
        if level == Level::Avx512
            && is_x86_feature_detected!("vaes")
            && is_x86_feature_detected!("aes")
        {
            Hardware::Vaes512
        } else if level != Level::Generic && is_x86_feature_detected!("aes") {
            Hardware::AesNi
        } else {
            Hardware::None
        }
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{RoundKeys, UnitCounters, ROUNDS, UNIT_CALLS};
    use crate::aligned::CacheLine;
    use std::arch::x86_64::*;

    #[inline(always)]
    fn round_key(keys: &RoundKeys<ROUNDS>, round: usize) -> __m128i {
        let [lo, hi] = keys.0[round];
        // SAFETY: SSE2 is part of x86-64.
        unsafe { _mm_set_epi64x(hi as i64, lo as i64) }
    }

    #[inline(always)]
    fn template<const U: usize>(ctr: &UnitCounters<U>, u: usize) -> __m128i {
        let low = (ctr.step as u64) << 32 | ctr.first_call[u] as u64;
        // SAFETY: SSE2 is part of x86-64.
        unsafe { _mm_set_epi64x(ctr.path[u] as i64, low as i64) }
    }

    /// # Safety
    /// The CPU must support AVX-512F and VAES.
    #[target_feature(enable = "avx512f,vaes,aes")]
    #[inline(never)]
    pub unsafe fn units_vaes512<const U: usize>(
        ctr: &UnitCounters<U>,
        keys: &RoundKeys<ROUNDS>,
        out: &mut CacheLine<[[u64; 8]; U]>,
    ) {
        let k: [__m512i; ROUNDS + 1] =
            std::array::from_fn(|r| _mm512_broadcast_i32x4(round_key(keys, r)));
        let calls = _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0);
        for (u, unit) in out.iter_mut().enumerate() {
            let t = template(ctr, u);
            let c = _mm512_add_epi32(_mm512_broadcast_i32x4(t), calls);
            let mut v = _mm512_xor_si512(c, k[0]);
            for key in &k[1..ROUNDS] {
                v = _mm512_aesenc_epi128(v, *key);
            }
            v = _mm512_aesenclast_epi128(v, k[ROUNDS]);
            // SAFETY: 64 writable bytes.
            unsafe { _mm512_storeu_si512(unit.as_mut_ptr().cast(), v) };
        }
    }

    /// # Safety
    /// The CPU must support AES-NI.
    #[target_feature(enable = "aes,sse2")]
    #[inline(never)]
    pub unsafe fn units_aesni<const U: usize>(
        ctr: &UnitCounters<U>,
        keys: &RoundKeys<ROUNDS>,
        out: &mut CacheLine<[[u64; 8]; U]>,
    ) {
        let k: [__m128i; ROUNDS + 1] = std::array::from_fn(|r| round_key(keys, r));
        for (u, unit) in out.iter_mut().enumerate() {
            let t = template(ctr, u);
            for b in 0..UNIT_CALLS {
                let c = _mm_add_epi32(t, _mm_set_epi32(0, 0, 0, b as i32));
                let mut v = _mm_xor_si128(c, k[0]);
                for key in &k[1..ROUNDS] {
                    v = _mm_aesenc_si128(v, *key);
                }
                v = _mm_aesenclast_si128(v, k[ROUNDS]);
                // SAFETY: 16 writable bytes at lanes 2b, 2b + 1.
                unsafe { _mm_storeu_si128(unit[2 * b..].as_mut_ptr().cast(), v) };
            }
        }
    }
}

/// ARM's rounds split differently: `AESE(x, k)` is ShiftRows and SubBytes of `x ^ k`, and
/// `AESMC` is MixColumns, so x86's `aesenc(v, k) = MC(SB(SR(v))) ^ k` chain is carried one
/// key behind: `x ← AESMC(AESE(x, k_r))` from `x = ctr`, then `AESE(x, k_{R-1}) ^ k_R`.
#[cfg(target_arch = "aarch64")]
mod arm {
    use super::{RoundKeys, UnitCounters, ROUNDS, UNIT_CALLS};
    use crate::aligned::CacheLine;
    use std::arch::aarch64::*;

    pub fn has_aes() -> bool {
        use std::sync::OnceLock;
        static AES: OnceLock<bool> = OnceLock::new();
        *AES.get_or_init(|| std::arch::is_aarch64_feature_detected!("aes"))
    }

    /// # Safety
    /// The CPU must support the AES extension.
    #[target_feature(enable = "neon,aes")]
    #[inline(never)]
    pub unsafe fn units_aes<const U: usize>(
        ctr: &UnitCounters<U>,
        keys: &RoundKeys<ROUNDS>,
        out: &mut CacheLine<[[u64; 8]; U]>,
    ) {
        // SAFETY (all loads and stores): 16 bytes within the arrays named.
        let k: [uint8x16_t; ROUNDS + 1] =
            std::array::from_fn(|r| unsafe { vreinterpretq_u8_u64(vld1q_u64(keys.0[r].as_ptr())) });
        for (u, unit) in out.iter_mut().enumerate() {
            for b in 0..UNIT_CALLS {
                let c = ctr.counter(u, b);
                let mut x = unsafe { vreinterpretq_u8_u32(vld1q_u32(c.as_ptr())) };
                for key in &k[..ROUNDS - 1] {
                    x = vaesmcq_u8(vaeseq_u8(x, *key));
                }
                x = veorq_u8(vaeseq_u8(x, k[ROUNDS - 1]), k[ROUNDS]);
                unsafe { vst1q_u64(unit[2 * b..].as_mut_ptr(), vreinterpretq_u64_u8(x)) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(hex: &str) -> [u32; 4] {
        let v: Vec<u32> = hex
            .split_whitespace()
            .map(|w| u32::from_str_radix(w, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    #[test]
    fn sbox_matches_fips_197() {
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x01], 0x7c);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(SBOX[0xff], 0x16);
    }

    /// Vectors of Random123's `kat_vectors` ("ars4x32 10": counter, key, expected words).
    #[test]
    fn known_answers() {
        for (ctr, key, want) in [
            (
                "00000001 00000000 00000000 00000000",
                "00000000 00000000 00000000 80000000",
                "fb029bde c66dcda0 d5e37e9e b16153f4",
            ),
            (
                "886a3f24 d308a385 2e8a1913 44737003",
                "00000000 00000000 00000000 80000000",
                "b80e41ea 4a1fa670 348659dd ee801943",
            ),
            (
                "e6212845 7713d038 cf6654be 6c0ce934",
                "0000ff00 00000000 00000000 00000000",
                "33721436 1ddc703e 7d53720c 06616c78",
            ),
            (
                "00000000 00000000 00000000 00000001",
                "0000ff00 00000000 00000000 00000000",
                "23753cdb 5909cafa 72e4a6b1 03f47730",
            ),
        ] {
            let keys = RoundKeys::<10>::new(words(key));
            assert_eq!(ars4x32(words(ctr), &keys), words(want), "counter {ctr}");
        }
    }

    /// The instructions give the tables' words for every call of a unit.
    #[test]
    fn hardware_matches_tables() {
        let keys = RoundKeys::<ROUNDS>::new([0x1234_5678, 0x9abc_def0, 0, 0]);
        let ctr = UnitCounters {
            step: 0xffff_fffe,
            first_call: [0, 0x1000_0004, 0x0fff_fffc],
            path: [1, 3 << 32 | 0xdead_beef, u64::MAX],
        };
        let mut want = CacheLine([[0u64; 8]; 3]);
        units_by_tables(&ctr, &keys, &mut want);
        let mut got = CacheLine([[0u64; 8]; 3]);
        units(&ctr, &keys, &mut got);
        assert_eq!(got.0, want.0);
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("aes") {
                let mut ni = CacheLine([[0u64; 8]; 3]);
                // SAFETY: detected just above.
                unsafe { x86::units_aesni(&ctr, &keys, &mut ni) };
                assert_eq!(ni.0, want.0);
            }
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("vaes") {
                let mut wide = CacheLine([[0u64; 8]; 3]);
                // SAFETY: detected just above.
                unsafe { x86::units_vaes512(&ctr, &keys, &mut wide) };
                assert_eq!(wide.0, want.0);
            }
        }
        #[cfg(target_arch = "aarch64")]
        if arm::has_aes() {
            let mut hw = CacheLine([[0u64; 8]; 3]);
            // SAFETY: detected just above.
            unsafe { arm::units_aes(&ctr, &keys, &mut hw) };
            assert_eq!(hw.0, want.0);
        }
        // Lane 2b + 1 of unit u holds words 2 and 3 of call b.
        let x = ars4x32([0x1000_0006, 0xffff_fffe, 0xdead_beef, 3], &keys);
        assert_eq!(want[1][5], x[2] as u64 | (x[3] as u64) << 32);
    }
}
