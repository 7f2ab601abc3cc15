//! CPython's `random` module (Mersenne Twister MT19937 and the few methods the peers' query
//! generator calls), so that the benchmark draws exactly the peers' 300 queries.

const N: usize = 624;
const M: usize = 397;

pub(crate) struct PyRandom {
    mt: [u32; N],
    next: usize,
}

impl PyRandom {
    /// `random.seed(seed)` for a non-negative integer below 2^32.
    pub fn seed(seed: u32) -> PyRandom {
        let mut r = PyRandom { mt: [0; N], next: N };
        r.mt[0] = 19_650_218;
        for i in 1..N {
            r.mt[i] = 1_812_433_253u32.wrapping_mul(r.mt[i - 1] ^ (r.mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        // init_by_array with the one-word key [seed].
        let (mut i, key) = (1, [seed]);
        for j in 0..N.max(key.len()) {
            let j = j % key.len();
            let prev = r.mt[i - 1] ^ (r.mt[i - 1] >> 30);
            r.mt[i] = (r.mt[i] ^ prev.wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            i += 1;
            if i >= N {
                r.mt[0] = r.mt[N - 1];
                i = 1;
            }
        }
        for _ in 0..N - 1 {
            let prev = r.mt[i - 1] ^ (r.mt[i - 1] >> 30);
            r.mt[i] = (r.mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                r.mt[0] = r.mt[N - 1];
                i = 1;
            }
        }
        r.mt[0] = 0x8000_0000;
        r
    }

    fn next_u32(&mut self) -> u32 {
        if self.next >= N {
            for k in 0..N {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7fff_ffff);
                self.mt[k] = self.mt[(k + M) % N] ^ (y >> 1) ^ if y & 1 == 1 { 0x9908_b0df } else { 0 };
            }
            self.next = 0;
        }
        let mut y = self.mt[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.random()`.
    pub fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `_randbelow(n)` for 0 < n < 2^32.
    fn below(&mut self, n: usize) -> usize {
        let bits = usize::BITS - n.leading_zeros();
        loop {
            let r = (self.next_u32() >> (32 - bits)) as usize;
            if r < n {
                return r;
            }
        }
    }

    /// `random.choice(seq)`.
    pub fn choice<'a, T>(&mut self, seq: &'a [T]) -> &'a T {
        &seq[self.below(seq.len())]
    }

    /// `random.sample(population, k)` for a population of at most 21 (its pool branch).
    pub fn sample<T: Clone>(&mut self, population: &[T], k: usize) -> Vec<T> {
        let n = population.len();
        let mut pool = population.to_vec();
        (0..k)
            .map(|i| {
                let j = self.below(n - i);
                let picked = pool[j].clone();
                pool[j] = pool[n - i - 1].clone();
                picked
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython() {
        // python3 -c 'import random; random.seed(1); print(random.random(), random.choice(range(20)),
        //                random.sample(range(20), 3))'
        let mut r = PyRandom::seed(1);
        assert_eq!(r.random(), 0.13436424411240122);
        let population: Vec<u32> = (0..20).collect();
        assert_eq!(*r.choice(&population), 2);
        assert_eq!(r.sample(&population, 3), vec![8, 3, 15]);
    }
}
