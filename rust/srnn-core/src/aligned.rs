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
        let slack = ALIGN / std::mem::size_of::<T>().max(1);
        let storage = vec![value; len + slack];
        let start = storage.as_ptr().align_offset(ALIGN);
        // `align_offset` may give up (usize::MAX); an unaligned start is then still correct.
        let start = if start <= slack { start } else { 0 };
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
pub(crate) struct CacheLine<T>(pub T);

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
        }
    }
}
