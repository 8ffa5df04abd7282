import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { GraftError } from "../errors";
import { DARE_TIES, SLERP, TASK_ARITHMETIC_NEGATIVE, TIES } from "./examples.fixture";
import { parseRecipe } from "./parse";
import { recipeToYaml } from "./to-yaml";
import type { Recipe } from "./types";

describe("recipeToYaml", () => {
  it.each([
    ["ties", TIES],
    ["dare_ties", DARE_TIES],
    ["slerp", SLERP],
    ["task_arithmetic", TASK_ARITHMETIC_NEGATIVE],
  ])("round-trips the %s example", (_name, yaml) => {
    const r = parseRecipe(yaml);
    expect(parseRecipe(recipeToYaml(r))).toStrictEqual(r);
  });

  it("writes canonical YAML with flow-style gradients and conditional lists", () => {
    expect(recipeToYaml(parseRecipe(SLERP))).toBe(
      [
        "merge_method: slerp",
        "base_model: psmathur/orca_mini_v3_13b",
        "models:",
        "  - model: psmathur/orca_mini_v3_13b",
        "  - model: garage-bAInd/Platypus2-13B",
        "parameters:",
        "  t:",
        "    - filter: self_attn",
        "      value: [0, 0.5, 0.3, 0.7, 1]",
        "    - filter: mlp",
        "      value: [1, 0.5, 0.7, 0.3, 0]",
        "    - value: 0.5",
        "dtype: float16",
        "",
      ].join("\n"),
    );
  });

  it("is stable: equal recipes give identical text whatever their key insertion order", () => {
    const a: Recipe = {
      mergeMethod: "ties",
      models: [{ model: { path: "a" }, parameters: { weight: 1, density: 0.5 } }],
      parameters: { normalize: true, lambda: 1 },
    };
    const b: Recipe = {
      parameters: { lambda: 1, normalize: true },
      models: [{ parameters: { density: 0.5, weight: 1 }, model: { path: "a" } }],
      mergeMethod: "ties",
    };
    expect(recipeToYaml(a)).toBe(recipeToYaml(b));
    expect(recipeToYaml(a)).toContain("parameters:\n      density: 0.5\n      weight: 1\n");
  });

  it("round-trips every optional field, LoRA refs and awkward scalars", () => {
    const r: Recipe = {
      name: "my merge: v2 # test ✓",
      mergeMethod: "task_arithmetic",
      baseModel: { path: "01-ai/Yi-1.5-6B", lora: "./adapters/yes" },
      models: [
        {
          model: { path: "org/model@main", lora: "org/lora" },
          parameters: {
            weight: -0.5,
            tiny: 1e-7,
            huge: 1e21,
            negzero: -0,
            words: ["yes", "no", "on", "null", "1e5", "0.5", "~", "*", "a b"],
            flag: false,
            mode: "true",
          },
        },
        { model: { path: "a" }, parameters: {} },
      ],
      parameters: {
        t: [{ filter: "*", value: [0, 1] }, { value: 0.25 }],
        mode: [{ filter: "layers.1.", value: "x:y" }, { filter: "mlp", value: ["a", "b"] }, { value: "" }],
      },
      dtype: "bfloat16",
      outDtype: "float16",
      randomSeed: 1234,
    };
    const text = recipeToYaml(r);
    const back = parseRecipe(text);
    expect(back).toStrictEqual(r);
    expect(Object.is(back.models[0].parameters.negzero, -0)).toBe(true);
  });

  it("writes YAML that YAML 1.1 readers (PyYAML, mergekit) read the same way", () => {
    const r: Recipe = {
      mergeMethod: "linear",
      models: [{ model: { path: "a" }, parameters: { s: ["yes", "off", "y"], e: 1e-7, w: 0.5 } }],
      parameters: {},
    };
    const text = recipeToYaml(r);
    expect(text).toContain("e: 1.0e-7");
    const v11 = parseYaml(text, { version: "1.1" }) as { models: { parameters: Record<string, unknown> }[] };
    expect(v11.models[0].parameters).toEqual({ s: ["yes", "off", "y"], e: 1e-7, w: 0.5 });
  });

  it("refuses to write an invalid recipe", () => {
    const bad: Recipe = { mergeMethod: "linear", models: [{ model: { path: "a" }, parameters: { w: NaN } }], parameters: {} };
    expect(() => recipeToYaml(bad)).toThrow(GraftError);
    const empty: Recipe = { mergeMethod: "linear", models: [], parameters: {} };
    expect(() => recipeToYaml(empty)).toThrow(/models: expected at least one model/);
  });
});
