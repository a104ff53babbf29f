// The seeded random numbers of the benchmarks' and the tests' inputs: mulberry32, in 32-bit integer
// arithmetic. (The LCG they used before was computed in doubles, which lose its low bits: `rand(6)`
// gave only even numbers, so some spellings and prefixes never came up.)
/** A function `rand(n)` giving whole numbers from 0 to n - 1, the same sequence for the same seed. */
export function seededRandom(seed) {
  let state = seed | 0;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
