import { describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { getMethod, listMethods, resolveParameters } from "./registry";

const ALL = [
  "linear",
  "task_arithmetic",
  "ties",
  "dare_linear",
  "dare_ties",
  "breadcrumbs",
  "breadcrumbs_ties",
  "della",
  "della_linear",
  "slerp",
  "model_stock",
];

function thrown(f: () => unknown): GraftError {
  try {
    f();
  } catch (e) {
    if (e instanceof GraftError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("registry", () => {
  it("lists every method once", () => {
    expect(listMethods().map((m) => m.name)).toEqual(ALL);
  });

  it("an unknown method names every accepted one", () => {
    const e = thrown(() => getMethod("frankenmerge"));
    expect(e.code).toBe("INVALID_RECIPE");
    expect(e.message).toBe(`unknown merge_method "frankenmerge"; accepted: ${ALL.join(", ")}`);
  });

  it("declares mergekit's parameters and defaults per method", () => {
    const table = (name: string, scope: "global" | "model") =>
      Object.fromEntries(
        (scope === "global" ? getMethod(name).globalParameters : getMethod(name).modelParameters).map((p) => [
          p.name,
          p.default,
        ]),
      );
    expect(table("ties", "global")).toEqual({ int8_mask: false, normalize: true, rescale: false, lambda: 1, rescale_mode: "l1" });
    expect(table("ties", "model")).toEqual({ weight: undefined, density: 1 });
    expect(table("task_arithmetic", "global")).toEqual({ int8_mask: false, normalize: false, rescale: false, lambda: 1 });
    expect(table("dare_ties", "global")).toMatchObject({ normalize: false, rescale: true });
    expect(table("dare_linear", "global")).toMatchObject({ normalize: false, rescale: true });
    expect(table("breadcrumbs", "model")).toEqual({ weight: undefined, density: 1, gamma: 0.01 });
    expect(table("breadcrumbs_ties", "global")).toMatchObject({ normalize: false, rescale: false });
    expect(table("della", "global")).toMatchObject({ normalize: true, rescale: true });
    expect(table("della_linear", "model")).toEqual({ weight: undefined, density: 1, epsilon: 0.15 });
    expect(table("linear", "global")).toEqual({ normalize: true });
    expect(table("linear", "model")).toEqual({ weight: undefined });
    expect(table("slerp", "global")).toEqual({ t: undefined });
    expect(table("model_stock", "global")).toEqual({ filter_wise: false });
    expect(getMethod("model_stock").modelParameters).toEqual([]);
  });
});

describe("resolveParameters", () => {
  const ties = getMethod("ties");

  it("fills defaults", () => {
    expect(resolveParameters(ties, {}, "global")).toEqual({
      int8_mask: false,
      normalize: true,
      rescale: false,
      lambda: 1,
      rescale_mode: "l1",
    });
    expect(resolveParameters(ties, { weight: 0.5 }, "model")).toEqual({ weight: 0.5, density: 1 });
  });

  it("an unknown parameter names the accepted ones", () => {
    const e = thrown(() => resolveParameters(ties, { weight: 1, gamma: 0.1 }, "model"));
    expect(e.code).toBe("INVALID_RECIPE");
    expect(e.message).toBe('unknown per-model parameter "gamma" for merge_method "ties"; accepted: weight, density');
    const g = thrown(() => resolveParameters(getMethod("slerp"), { t: 0.5, weight: 1 }, "global"));
    expect(g.message).toBe('unknown global parameter "weight" for merge_method "slerp"; accepted: t');
  });

  it("reports missing required parameters and wrong types", () => {
    expect(thrown(() => resolveParameters(ties, {}, "model")).message).toBe(
      'missing required per-model parameter "weight" for merge_method "ties"',
    );
    expect(thrown(() => resolveParameters(ties, { normalize: 1 }, "global")).message).toMatch(
      /"normalize" of merge_method "ties" must be a boolean, got number 1/,
    );
    expect(thrown(() => resolveParameters(ties, { weight: "heavy" }, "model")).message).toMatch(/finite number/);
    expect(thrown(() => resolveParameters(ties, { rescale_mode: "l3" }, "global")).message).toMatch(
      /must be one of l1, l2, linf, inverse_density/,
    );
  });
});
