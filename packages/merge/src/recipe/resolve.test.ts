import { describe, expect, it } from "vitest";
import { SLERP, TIES } from "./examples.fixture";
import { parseRecipe } from "./parse";
import {
  evaluateSetting,
  gradientPosition,
  resolveAll,
  resolveModelParameters,
  resolveSetting,
} from "./resolve";
import type { ParamSetting } from "./types";

const layer = (i: number, rest = "mlp.down_proj.weight") => `model.layers.${i}.${rest}`;

describe("gradient resolution over layers", () => {
  const weight: ParamSetting = [0, 0.3, 0.7, 1];

  it("takes the first value at the first layer and the last at the last layer", () => {
    expect(resolveSetting(weight, layer(0), 0, 32)).toBe(0);
    expect(resolveSetting(weight, layer(31), 31, 32)).toBe(1);
  });

  it("interpolates piecewise-linearly in between (t = layer / (numLayers - 1))", () => {
    // t = 15/31, scaled = 3t = 45/31 = 1 + 14/31 → (17/31)·0.3 + (14/31)·0.7
    expect(resolveSetting(weight, layer(15), 15, 32)).toBeCloseTo(14.9 / 31, 12);
    // 5 layers, 3 values: layer 2 sits exactly on the middle value, layer 1 halfway to it
    expect(resolveSetting([1, 0.7, 0.1], layer(2), 2, 5)).toBe(0.7);
    expect(resolveSetting([1, 0.7, 0.1], layer(1), 1, 5)).toBeCloseTo(0.85, 12);
    expect(resolveSetting([1, 0.7, 0.1], layer(3), 3, 5)).toBeCloseTo(0.4, 12);
  });

  it("matches mergekit's density gradient from the ties example on a 40-layer model", () => {
    // t = 10/39, scaled = 20/39 → (19/39)·1 + (20/39)·0.7 = 33/39
    expect(resolveSetting([1, 0.7, 0.1], layer(10), 10, 40)).toBeCloseTo(33 / 39, 12);
  });

  it("uses t = 0 for embeddings and t = 1 for the final norm and lm_head", () => {
    expect(resolveSetting(weight, "model.embed_tokens.weight", null, 32)).toBe(0);
    expect(resolveSetting(weight, "transformer.wte.weight", null, 12)).toBe(0);
    expect(resolveSetting(weight, "model.norm.weight", null, 32)).toBe(1);
    expect(resolveSetting(weight, "lm_head.weight", null, 32)).toBe(1);
    expect(resolveSetting(weight, "embed_out.weight", null, 32)).toBe(1);
  });

  it("uses t = 1 when the model has a single layer", () => {
    expect(gradientPosition(layer(0), 0, 1)).toBe(1);
    expect(resolveSetting(weight, layer(0), 0, 1)).toBe(1);
  });

  it("clamps layer indexes beyond the layer count", () => {
    expect(resolveSetting(weight, layer(40), 40, 32)).toBe(1);
  });

  it("picks string gradient entries by floor(t·(n−1))", () => {
    const s: ParamSetting = ["a", "b", "c"];
    expect(resolveSetting(s, layer(0), 0, 10)).toBe("a");
    expect(resolveSetting(s, layer(4), 4, 10)).toBe("a"); // t = 4/9, 2t = 0.89
    expect(resolveSetting(s, layer(5), 5, 10)).toBe("b"); // 2t = 1.11
    expect(resolveSetting(s, layer(9), 9, 10)).toBe("c");
  });

  it("returns scalars unchanged", () => {
    expect(resolveSetting(0.5, layer(3), 3, 32)).toBe(0.5);
    expect(resolveSetting(true, "lm_head.weight", null, 32)).toBe(true);
    expect(resolveSetting("x", layer(3), 3, 32)).toBe("x");
  });
});

describe("conditional filters", () => {
  const t = parseRecipe(SLERP).parameters.t;

  it("applies the first filter that is a substring of the tensor name", () => {
    // 32 layers, layer 16: t = 16/31, scaled = 64/31 = 2 + 2/31 → (29/31)·0.3 + (2/31)·0.7
    expect(resolveSetting(t, layer(16, "self_attn.q_proj.weight"), 16, 32)).toBeCloseTo(10.1 / 31, 12);
    expect(resolveSetting(t, layer(0, "self_attn.o_proj.weight"), 0, 32)).toBe(0);
    expect(resolveSetting(t, layer(0, "mlp.up_proj.weight"), 0, 32)).toBe(1);
    expect(resolveSetting(t, layer(31, "mlp.up_proj.weight"), 31, 32)).toBe(0);
  });

  it("falls back to the entry without a filter", () => {
    expect(resolveSetting(t, layer(7, "input_layernorm.weight"), 7, 32)).toBe(0.5);
    expect(resolveSetting(t, "model.embed_tokens.weight", null, 32)).toBe(0.5);
    expect(resolveSetting(t, "lm_head.weight", null, 32)).toBe(0.5);
  });

  it("lets an earlier match win over later ones, including an early fallback", () => {
    const overlapping: ParamSetting = [
      { filter: "mlp", value: 1 },
      { filter: "mlp.up_proj", value: 2 },
    ];
    expect(resolveSetting(overlapping, layer(0, "mlp.up_proj.weight"), 0, 4)).toBe(1);
    const fallbackFirst: ParamSetting = [{ value: 0 }, { filter: "mlp", value: 1 }];
    expect(resolveSetting(fallbackFirst, layer(0, "mlp.up_proj.weight"), 0, 4)).toBe(0);
  });

  it("treats filter '*' as match-all and other filters as plain substrings (no globs or regexes)", () => {
    expect(resolveSetting([{ filter: "*", value: 3 }], "anything", null, 4)).toBe(3);
    expect(resolveSetting([{ filter: "q_proj|k_proj", value: 1 }], layer(0, "self_attn.q_proj.weight"), 0, 4)).toBeUndefined();
    expect(resolveSetting([{ filter: "layers.1", value: 1 }], layer(12), 12, 16)).toBe(1);
  });

  it("never matches a non-wildcard filter against an empty tensor name", () => {
    expect(evaluateSetting([{ filter: "mlp", value: 1 }, { value: 2 }], "", 0)).toBe(2);
  });

  it("resolves to undefined when no filter matches and there is no fallback", () => {
    const onlyMlp: ParamSetting = [{ filter: "mlp", value: 0.5 }];
    expect(resolveSetting(onlyMlp, layer(1, "self_attn.q_proj.weight"), 1, 4)).toBeUndefined();
  });
});

describe("resolveAll and resolveModelParameters", () => {
  it("resolves a map and omits parameters whose filters do not match", () => {
    const settings: Record<string, ParamSetting> = {
      weight: [{ filter: "mlp", value: 0.5 }],
      density: [1, 0.5],
      normalize: true,
    };
    expect(resolveAll(settings, layer(3, "self_attn.v_proj.weight"), 3, 4)).toEqual({ density: 0.5, normalize: true });
    expect(resolveAll(settings, layer(0, "mlp.gate_proj.weight"), 0, 4)).toEqual({
      weight: 0.5,
      density: 1,
      normalize: true,
    });
  });

  it("resolves the ties example's conditional weight per tensor", () => {
    const r = parseRecipe(TIES);
    const wizard = r.models[2].parameters;
    expect(resolveAll(wizard, layer(5, "mlp.up_proj.weight"), 5, 40)).toEqual({ density: 0.33, weight: 0.5 });
    expect(resolveAll(wizard, layer(5, "self_attn.q_proj.weight"), 5, 40)).toEqual({ density: 0.33, weight: 0 });
  });

  it("falls back from a model's setting to the global one of the same name", () => {
    const global: Record<string, ParamSetting> = { density: 0.5, weight: 1 };
    const model: Record<string, ParamSetting> = { weight: [{ filter: "mlp", value: 0.2 }] };
    expect(resolveModelParameters(model, global, layer(0, "mlp.up_proj.weight"), 0, 4)).toEqual({ density: 0.5, weight: 0.2 });
    expect(resolveModelParameters(model, global, layer(0, "self_attn.q_proj.weight"), 0, 4)).toEqual({
      density: 0.5,
      weight: 1,
    });
  });
});
