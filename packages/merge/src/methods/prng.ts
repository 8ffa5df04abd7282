/**
 * Deterministic random numbers for the stochastic merge methods (DARE's
 * Bernoulli drop, DELLA's magnitude-ranked sampling).
 *
 * Why it exists: a merge recipe with `random_seed` must produce the same bytes
 * on every machine, every Node version and in any tensor processing order.
 * `Math.random` gives none of that, so we define the generator exactly:
 *
 *   1. key   = FNV-1a 64 over ( seed as 8 bytes little-endian (two's complement)
 *                               ‖ UTF-8 bytes of `stream` )
 *   2. state = four 32-bit words taken from two SplitMix64 outputs started at
 *              `key`: s0 = lo32(o1), s1 = hi32(o1), s2 = lo32(o2), s3 = hi32(o2)
 *   3. draws  = xoshiro128** (Blackman & Vigna 2018) on that state; every
 *              operation is a 32-bit integer op (`Math.imul`, shifts, xor), so
 *              the sequence is bit-identical everywhere.
 *   4. next() = uint32 / 2^32: a float in [0, 1) with 32 bits of resolution
 *              (multiples of 2^-32; exactly representable in a double).
 *
 * Sub-streams: a consumer that needs its own replayable sequence (each model's
 * DARE/DELLA mask) takes four words w_k = floor(parent.next() * 2^32) from the
 * tensor's generator, in model order, and runs xoshiro128** from state
 * (w0, w1, w2, w3) — (1, 0, 0, 0) if all four are zero. `seedWordsFrom` /
 * `Xoshiro128StarStar.fromWords` implement exactly that, so a chunked pass can
 * restart a model's sequence at offset 0 as often as it needs.
 *
 * The stream is the tensor name, so each tensor owns an independent,
 * reproducible sequence no matter which tensors were processed before it.
 * Seeding uses BigInt (once per tensor, a few dozen operations); the hot path
 * `next()` uses only 32-bit number arithmetic.
 */
import { GraftError } from "../errors";
import type { Prng } from "../types";

const MASK64 = (1n << 64n) - 1n;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const TWO_POW_32 = 4294967296;

/** FNV-1a, 64-bit, over raw bytes. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV64_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= BigInt(bytes[i]);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h;
}

/**
 * One SplitMix64 step (Steele, Lea & Flood 2014): advances `state` by the
 * golden gamma and returns the mixed output together with the new state.
 */
export function splitmix64(state: bigint): { value: bigint; state: bigint } {
  const next = (state + GOLDEN_GAMMA) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z ^= z >> 31n;
  return { value: z, state: next };
}

function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128** on an explicit 128-bit state (four uint32 words, not all zero). */
export class Xoshiro128StarStar implements Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new GraftError("INVALID_ARGUMENT", "xoshiro128** state must not be all zero");
    }
  }

  /** Next raw output, an unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl32(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl32(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1): nextUint32() / 2^32 (32 bits of resolution). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A generator started at four seed words (see `seedWordsFrom`). */
  static fromWords(words: ArrayLike<number>): Xoshiro128StarStar {
    const w = [words[0] | 0, words[1] | 0, words[2] | 0, words[3] | 0];
    if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1;
    return new Xoshiro128StarStar(w[0], w[1], w[2], w[3]);
  }
}

/** Four seed words for a sub-stream: floor(parent.next() * 2^32), four times. */
export function seedWordsFrom(parent: Prng): Uint32Array {
  const out = new Uint32Array(4);
  for (let k = 0; k < 4; k++) out[k] = Math.floor(parent.next() * TWO_POW_32) >>> 0;
  return out;
}

function seedBytes(seed: number): Uint8Array {
  if (!Number.isSafeInteger(seed)) {
    throw new GraftError(
      "INVALID_ARGUMENT",
      `random seed must be an integer between -(2^53-1) and 2^53-1, got ${seed}`,
    );
  }
  let v = BigInt.asUintN(64, BigInt(seed));
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The generator for one (seed, stream) pair, e.g. (recipe random_seed,
 * tensor name). See the file header for the exact algorithm.
 */
export function createPrng(seed: number, stream: string): Xoshiro128StarStar {
  const name = new TextEncoder().encode(stream);
  const keyBytes = new Uint8Array(8 + name.length);
  keyBytes.set(seedBytes(seed), 0);
  keyBytes.set(name, 8);
  const key = fnv1a64(keyBytes);
  const o1 = splitmix64(key);
  const o2 = splitmix64(o1.state);
  const lo = (x: bigint) => Number(x & 0xffffffffn);
  const hi = (x: bigint) => Number(x >> 32n);
  // Two consecutive SplitMix64 outputs are never both zero (the output
  // function is a bijection), so the state is never all zero.
  return new Xoshiro128StarStar(lo(o1.value), hi(o1.value), lo(o2.value), hi(o2.value));
}
