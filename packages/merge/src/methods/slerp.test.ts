import { describe, expect, it } from "vitest";
import { run } from "./test-support";

const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

describe("slerp (models = [other], base separate)", () => {
  const base = [1, 0];
  const other = [0, 1];

  it("t = 0 gives the base and t = 1 the other model", () => {
    const at0 = run("slerp", { base, models: [other], params: { t: 0 } });
    const at1 = run("slerp", { base, models: [other], params: { t: 1 } });
    at0.forEach((v, i) => expect(v).toBeCloseTo(base[i], 6));
    at1.forEach((v, i) => expect(v).toBeCloseTo(other[i], 6));
  });

  it("t = 0.5 between orthogonal unit vectors stays on the unit circle", () => {
    // theta = pi/2, s0 = s1 = sin(pi/4) / 1 = √2/2
    const mid = run("slerp", { base, models: [other], params: { t: 0.5 } });
    expect(mid[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(mid[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(norm(mid)).toBeCloseTo(1, 6);
  });

  it("falls back to lerp for (nearly) colinear tensors", () => {
    // other = 2·base → dot of directions = 1 > 0.9995 → 0.75·v + 0.25·2v = 1.25·v
    const v = [1, 2, -3];
    const out = run("slerp", { base: v, models: [v.map((x) => 2 * x)], params: { t: 0.25 } });
    out.forEach((x, i) => expect(x).toBeCloseTo(1.25 * v[i], 6));
  });

  it("needs t and exactly one non-base model", () => {
    expect(() => run("slerp", { base, models: [other] })).toThrow(/missing required global parameter "t"/);
    expect(() => run("slerp", { base, models: [other, other], params: { t: 0.5 } })).toThrow(/exactly two models/);
    expect(run("slerp", { base, models: [], params: { t: 0.5 } })).toEqual(base);
  });
});
