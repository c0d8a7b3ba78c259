//! Buffers whose first element sits on a 64-byte boundary. Kernels read and write rows of
//! whole 512-bit vectors; from an allocator's 16-byte alignment, three in four of those
//! accesses straddle two cache lines, and a split store costs about twice a whole one.

use std::ops::{Deref, DerefMut};

const ALIGN: usize = 64;

pub(crate) struct Aligned<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy> Aligned<T> {
    pub fn filled(len: usize, value: T) -> Self {
        Self::filled_at(len, value, 0)
    }

    /// `len` copies of `value`, element `first` (rather than element 0) on a cache-line
    /// boundary: for data whose hot part starts further in.
    pub fn filled_at(len: usize, value: T, first: usize) -> Self {
        let size = std::mem::size_of::<T>().max(1);
        let slack = ALIGN / size;
        let storage = vec![value; len + slack];
        let addr = storage.as_ptr() as usize + (first % slack.max(1)) * size;
        // An address that is not a multiple of `size` cannot be aligned; the buffer is still
        // correct, only slower.
        let start = if addr.is_multiple_of(size) {
            (ALIGN - addr % ALIGN) % ALIGN / size
        } else {
            0
        };
        Aligned {
            storage,
            start,
            len,
        }
    }
}

impl<T> Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<T> DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

/// A value (a stack array of lanes) on a cache line of its own, for the same reason: stack
/// frames are only 16-byte aligned, and spilled 512-bit lanes would straddle two lines.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct CacheLine<T>(pub T);

impl<T> Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CacheLine<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<'a, T> IntoIterator for &'a Aligned<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_cache_line_and_holds_exactly_len_values() {
        for len in [0usize, 1, 7, 64, 1000] {
            let mut a = Aligned::filled(len, 1.5f64);
            assert_eq!(a.len(), len);
            assert_eq!(a.as_ptr() as usize % ALIGN, 0);
            assert!(a.iter().all(|&x| x == 1.5));
            a.iter_mut().enumerate().for_each(|(i, x)| *x = i as f64);
            assert!(a.iter().enumerate().all(|(i, &x)| x == i as f64));
            for first in [1usize, 5, 8, 13] {
                let b = Aligned::filled_at(len + first, 0.0f64, first);
                assert_eq!(b.len(), len + first);
                assert_eq!(b[first..].as_ptr() as usize % ALIGN, 0);
            }
        }
    }
}
