import { describe, expect, it } from "vitest";
import { createPrng, fnv1a64, splitmix64, Xoshiro128StarStar } from "./prng";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("prng building blocks match their published definitions", () => {
  it("FNV-1a 64 reproduces the reference test vectors", () => {
    expect(fnv1a64(utf8(""))).toBe(0xcbf29ce484222325n);
    expect(fnv1a64(utf8("a"))).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64(utf8("foobar"))).toBe(0x85944171f73967e8n);
  });

  it("SplitMix64 from state 0 yields the reference sequence", () => {
    const a = splitmix64(0n);
    expect(a.value).toBe(0xe220a8397b1dcdafn);
    expect(splitmix64(a.state).value).toBe(0x6e789e6aa1b965f4n);
  });

  it("xoshiro128** from state {1,2,3,4} starts 11520, 0 (worked by hand)", () => {
    // out = rotl(s1*5, 7)*9 = rotl(10,7)*9 = 1280*9 = 11520; after one step s1 = 0 → 0.
    const g = new Xoshiro128StarStar(1, 2, 3, 4);
    expect(g.nextUint32()).toBe(11520);
    expect(g.nextUint32()).toBe(0);
  });

  it("rejects an all-zero state and non-integer seeds", () => {
    expect(() => new Xoshiro128StarStar(0, 0, 0, 0)).toThrow(/zero/);
    expect(() => createPrng(1.5, "x")).toThrow(/integer/);
  });
});

describe("createPrng", () => {
  it("matches an independent implementation of the documented spec", () => {
    // Reference computed with a separate Python implementation of the header's
    // algorithm: FNV-1a64(le64(42) ‖ name) → SplitMix64 ×2 → xoshiro128**.
    const g = createPrng(42, "model.layers.0.mlp.down_proj.weight");
    expect([g.nextUint32(), g.nextUint32(), g.nextUint32(), g.nextUint32()]).toEqual([
      2531907650, 1979902183, 1898263821, 2625235492,
    ]);
  });

  it("gives each tensor its own sequence, independent of creation order", () => {
    const a1 = createPrng(7, "a");
    const b = createPrng(7, "b");
    const seqB = [b.next(), b.next(), b.next()];
    const a2 = createPrng(7, "a");
    const seqA1 = [a1.next(), a1.next(), a1.next()];
    const seqA2 = [a2.next(), a2.next(), a2.next()];
    expect(seqA1).toEqual(seqA2);
    expect(seqA1).not.toEqual(seqB);
    expect(createPrng(8, "a").next()).not.toBe(createPrng(7, "a").next());
  });

  it("next() is in [0,1), a multiple of 2^-32, and roughly uniform", () => {
    const g = createPrng(123, "uniformity");
    const bins = new Array(10).fill(0);
    const n = 100_000;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const u = g.next();
      if (!(u >= 0 && u < 1) || !Number.isInteger(u * 4294967296)) bad++;
      else bins[Math.floor(u * 10)]++;
    }
    expect(bad).toBe(0);
    for (const c of bins) expect(Math.abs(c - n / 10)).toBeLessThan(500); // ~5 sigma
  });

  it("accepts negative seeds as 64-bit two's complement", () => {
    expect(createPrng(-1, "x").next()).toBe(createPrng(-1, "x").next());
    expect(createPrng(-1, "x").next()).not.toBe(createPrng(1, "x").next());
  });
});
