import { describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { DARE_TIES, SLERP, SLERP_SLICES, TASK_ARITHMETIC_NEGATIVE, TIES } from "./examples.fixture";
import { parseRecipe } from "./parse";

/** The INVALID_RECIPE message parseRecipe throws for `yaml`. */
function errorOf(yaml: string, source?: string): string {
  try {
    parseRecipe(yaml, source);
  } catch (e) {
    expect(e).toBeInstanceOf(GraftError);
    expect((e as GraftError).code).toBe("INVALID_RECIPE");
    const message = (e as GraftError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected parseRecipe to throw");
}

const MINIMAL = "merge_method: linear\nmodels:\n  - model: a/b\n";

describe("parseRecipe on real mergekit recipes", () => {
  it("reads the README ties recipe with gradients and a conditional weight", () => {
    const r = parseRecipe(TIES);
    expect(r.mergeMethod).toBe("ties");
    expect(r.baseModel).toEqual({ path: "TheBloke/Llama-2-13B-fp16" });
    expect(r.dtype).toBe("float16");
    expect(r.parameters).toEqual({ normalize: true, int8_mask: true });
    expect(r.models.map((m) => m.model.path)).toEqual([
      "psmathur/orca_mini_v3_13b",
      "garage-bAInd/Platypus2-13B",
      "WizardLM/WizardMath-13B-V1.0",
    ]);
    expect(r.models[0].parameters).toEqual({ density: [1, 0.7, 0.1], weight: 1 });
    expect(r.models[1].parameters).toEqual({ density: 0.5, weight: [0, 0.3, 0.7, 1] });
    expect(r.models[2].parameters).toEqual({
      density: 0.33,
      weight: [{ filter: "mlp", value: 0.5 }, { value: 0 }],
    });
  });

  it("reads a dare_ties recipe whose base model entry has no parameters", () => {
    const r = parseRecipe(DARE_TIES);
    expect(r.mergeMethod).toBe("dare_ties");
    expect(r.baseModel).toEqual({ path: "mistralai/Mistral-7B-v0.1" });
    expect(r.models).toHaveLength(4);
    expect(r.models[0]).toEqual({ model: { path: "mistralai/Mistral-7B-v0.1" }, parameters: {} });
    expect(r.models[1].parameters).toEqual({ density: 0.53, weight: 0.4 });
    expect(r.parameters).toEqual({ int8_mask: true });
    expect(r.dtype).toBe("bfloat16");
  });

  it("reads the slerp recipe with per-filter t lists for self_attn and mlp", () => {
    const r = parseRecipe(SLERP);
    expect(r.mergeMethod).toBe("slerp");
    expect(r.models.map((m) => m.parameters)).toEqual([{}, {}]);
    expect(r.parameters.t).toEqual([
      { filter: "self_attn", value: [0, 0.5, 0.3, 0.7, 1] },
      { filter: "mlp", value: [1, 0.5, 0.7, 0.3, 0] },
      { value: 0.5 },
    ]);
  });

  it("reads task_arithmetic with a negative weight", () => {
    const r = parseRecipe(TASK_ARITHMETIC_NEGATIVE);
    expect(r.mergeMethod).toBe("task_arithmetic");
    expect(r.models[1].parameters.weight).toBe(-0.5);
    expect(r.parameters).toEqual({ normalize: false });
  });

  it("leaves out optional fields that are absent or null", () => {
    const r = parseRecipe("merge_method: ties\nbase_model:\nparameters:\ndtype:\nmodels:\n  - model: a\n    parameters:\n");
    expect(r).toStrictEqual({ mergeMethod: "ties", models: [{ model: { path: "a" }, parameters: {} }], parameters: {} });
  });

  it("reads out_dtype, random_seed, name and the torch.-prefixed dtype alias", () => {
    const r = parseRecipe(`${MINIMAL}dtype: torch.bfloat16\nout_dtype: float32\nrandom_seed: 42\nname: my-merge\n`);
    expect(r).toMatchObject({ dtype: "bfloat16", outDtype: "float32", randomSeed: 42, name: "my-merge" });
  });

  it("accepts tokenizer_source: base and tokenizer: {source: base}", () => {
    expect(parseRecipe(`${MINIMAL}tokenizer_source: base\n`).mergeMethod).toBe("linear");
    expect(parseRecipe(`${MINIMAL}tokenizer:\n  source: base\n`).mergeMethod).toBe("linear");
  });

  it("stores a single {filter, value} mapping as a one-entry conditional list", () => {
    const r = parseRecipe(`${MINIMAL}parameters:\n  t: {filter: mlp, value: [0, 1]}\n`);
    expect(r.parameters.t).toEqual([{ filter: "mlp", value: [0, 1] }]);
  });

  it("keeps string values and string gradients", () => {
    const r = parseRecipe(`${MINIMAL}parameters:\n  mode: fast\n  schedule: [a, b, c]\n`);
    expect(r.parameters).toEqual({ mode: "fast", schedule: ["a", "b", "c"] });
  });

  it("reads a LoRA suffix on model and base_model references", () => {
    const r = parseRecipe("merge_method: linear\nbase_model: org/base+org/base-lora\nmodels:\n  - model: ./m+./adapters/x\n");
    expect(r.baseModel).toEqual({ path: "org/base", lora: "org/base-lora" });
    expect(r.models[0].model).toEqual({ path: "./m", lora: "./adapters/x" });
  });

  it("resolves YAML anchors and merge keys", () => {
    const r = parseRecipe(
      "merge_method: ties\nmodels:\n  - model: a\n    parameters: &p {density: 0.5, weight: 1}\n  - model: b\n    parameters:\n      <<: *p\n      weight: 2\n",
    );
    expect(r.models[1].parameters).toEqual({ density: 0.5, weight: 2 });
  });
});

describe("parseRecipe rejects invalid recipes with one-line messages", () => {
  it("names an unknown top-level key and lists the accepted keys", () => {
    const msg = errorOf(`${MINIMAL}merge_methd: ties\n`);
    expect(msg).toBe(
      'unknown top-level key "merge_methd"; accepted keys: models, base_model, merge_method, parameters, dtype, out_dtype, random_seed, tokenizer_source, tokenizer, name',
    );
  });

  it("names an unknown key inside a model entry with its index", () => {
    const msg = errorOf("merge_method: ties\nmodels:\n  - model: a\n  - model: b\n    paramters:\n      weight: 1\n");
    expect(msg).toBe('models[1]: unknown key "paramters"; accepted keys: model, parameters');
  });

  it("rejects a non-numeric weight naming the key path", () => {
    const msg = errorOf("merge_method: ties\nmodels:\n  - model: a\n  - model: b\n    parameters:\n      weight: heavy\n");
    expect(msg).toBe('models[1].parameters.weight: expected a number, got "heavy"');
  });

  it("rejects a density outside [0, 1] or given as a string", () => {
    expect(errorOf(`${MINIMAL}    parameters:\n      density: "abc"\n`)).toBe(
      'models[0].parameters.density: expected a number between 0 and 1, got "abc"',
    );
    expect(errorOf(`${MINIMAL}    parameters:\n      density: [0.5, 1.5]\n`)).toBe(
      "models[0].parameters.density[1]: expected a number between 0 and 1, got 1.5",
    );
  });

  it("checks well-known parameter types inside conditional entries", () => {
    const msg = errorOf(`${MINIMAL}parameters:\n  t:\n    - filter: mlp\n      value: half\n`);
    expect(msg).toBe('parameters.t[0].value: expected a number, got "half"');
    expect(errorOf(`${MINIMAL}parameters:\n  normalize: "yes"\n`)).toBe('parameters.normalize: expected true or false, got "yes"');
  });

  it("rejects non-finite numbers", () => {
    expect(errorOf(`${MINIMAL}parameters:\n  lambda: .inf\n`)).toBe("parameters.lambda: expected a finite number, got .inf");
    expect(errorOf(`${MINIMAL}parameters:\n  foo: [0, .nan]\n`)).toBe("parameters.foo[1]: expected a finite number, got .nan");
  });

  it("rejects malformed parameter values", () => {
    expect(errorOf(`${MINIMAL}parameters:\n  w: []\n`)).toMatch(/^parameters\.w: expected a non-empty list/);
    expect(errorOf(`${MINIMAL}parameters:\n  w: [1, x]\n`)).toMatch(/^parameters\.w\[1\]: a gradient list must hold only numbers/);
    expect(errorOf(`${MINIMAL}parameters:\n  w: [true, false]\n`)).toMatch(/^parameters\.w\[0\]: a gradient list/);
    expect(errorOf(`${MINIMAL}parameters:\n  w:\n`)).toMatch(/^parameters\.w: expected a number, boolean, string or list/);
    expect(errorOf(`${MINIMAL}parameters:\n  w: [{value: 1}, 2]\n`)).toBe(
      "parameters.w: a list cannot mix {filter, value} entries with plain values",
    );
    expect(errorOf(`${MINIMAL}parameters:\n  w:\n    - filter: mlp\n`)).toMatch(/^parameters\.w\[0\]\.value: is missing/);
    expect(errorOf(`${MINIMAL}parameters:\n  w:\n    - filter: ""\n      value: 1\n`)).toMatch(
      /^parameters\.w\[0\]\.filter: expected a non-empty/,
    );
    expect(errorOf(`${MINIMAL}parameters:\n  w:\n    - value: [{value: 1}]\n`)).toBe(
      "parameters.w[0].value: conditional {filter, value} entries cannot be nested in a value",
    );
    expect(errorOf(`${MINIMAL}parameters: [1, 2]\n`)).toBe(
      "parameters: expected a mapping of parameter names to values, got the list [1,2]",
    );
  });

  it("points mergekit's old `pattern` key to `filter`", () => {
    const msg = errorOf(`${MINIMAL}parameters:\n  t:\n    - pattern: self_attn\n      value: 1\n`);
    expect(msg).toBe(
      'parameters.t[0]: unknown key "pattern" (conditional parameters use "filter", not "pattern"); accepted keys: filter, value',
    );
  });

  it("reports a YAML syntax error with its line number", () => {
    const msg = errorOf("merge_method: ties\nmodels:\n  - model: a\n    parameters: {weight: [1, 2}\n", "recipe.yml");
    expect(msg).toMatch(/^recipe\.yml: YAML syntax error at line 4, column \d+: /);
  });

  it("attaches the line and column of a YAML error as details", () => {
    try {
      parseRecipe("merge_method: ties\nmodels: [\n");
      expect.unreachable();
    } catch (e) {
      expect((e as GraftError).details).toMatchObject({ line: expect.any(Number), col: expect.any(Number) });
    }
  });

  it("rejects duplicate keys with their line", () => {
    expect(errorOf("merge_method: ties\nmodels:\n  - model: a\nmerge_method: slerp\n")).toBe(
      "duplicate key at line 4, column 1: Map keys must be unique",
    );
    expect(errorOf(`${MINIMAL}    parameters:\n      weight: 1\n      weight: 2\n`)).toMatch(/^duplicate key at line 6,/);
  });

  it("refuses slices (frankenmerges) with a pointer to models", () => {
    expect(errorOf(SLERP_SLICES)).toBe("slices (passthrough/frankenmerge) are not supported; use models");
  });

  it("refuses multi-module and multi-document recipes", () => {
    expect(errorOf("merge_method: linear\nmodules: {}\n")).toMatch(/^modules \(multi-module merges\) are not supported/);
    expect(errorOf(`${MINIMAL}---\n${MINIMAL}`)).toMatch(/^expected a single YAML document, found another one at line 4/);
  });

  it("rejects empty and non-mapping documents", () => {
    expect(errorOf("")).toBe("the recipe is empty");
    expect(errorOf("# only a comment\n")).toBe("the recipe is empty");
    expect(errorOf("- a\n- b\n")).toBe('expected a mapping at the top level of the recipe, got the list ["a","b"]');
  });

  it("requires merge_method and at least one model", () => {
    expect(errorOf("models:\n  - model: a\n")).toBe("merge_method: is missing (expected a merge method name)");
    expect(errorOf("merge_method: ties\nmodels: []\n")).toBe("models: expected at least one model");
    expect(errorOf("merge_method: ties\n")).toBe("models: is missing (expected a list of {model, parameters} entries)");
    expect(errorOf("merge_method: ties\nmodels:\n  - a/b\n")).toBe(
      'models[0]: expected a mapping with model and optional parameters, got "a/b"',
    );
  });

  it("counts further problems in the message and lists them all in details", () => {
    try {
      parseRecipe("merge_method: 3\nmodels:\n  - model: 1\n");
      expect.unreachable();
    } catch (e) {
      const err = e as GraftError;
      expect(err.message).toBe("merge_method: expected a merge method name, got 3 (and 1 more problem)");
      expect(err.details).toMatchObject({
        issues: [
          { path: "merge_method", message: "expected a merge method name, got 3" },
          { path: "models[0].model", message: 'expected a model reference string ("model" or "model+lora"), got 1' },
        ],
      });
    }
  });

  it("rejects malformed model references", () => {
    expect(errorOf("merge_method: ties\nmodels:\n  - model: a+b+c\n")).toBe(
      'models[0].model: model reference "a+b+c" has more than one "+"; expected "model" or "model+lora"',
    );
    expect(errorOf("merge_method: ties\nbase_model: a+\nmodels:\n  - model: a\n")).toMatch(/^base_model: model reference "a\+" has an empty part/);
  });

  it("rejects unsupported dtypes, seeds and tokenizer settings", () => {
    expect(errorOf(`${MINIMAL}dtype: fp8\n`)).toBe(
      'dtype: expected one of float32, float16, bfloat16 (optionally "torch."-prefixed), got "fp8"',
    );
    expect(errorOf(`${MINIMAL}out_dtype: int64\n`)).toMatch(/^out_dtype: expected one of float32/);
    expect(errorOf(`${MINIMAL}random_seed: -1\n`)).toBe("random_seed: expected a non-negative integer, got -1");
    expect(errorOf(`${MINIMAL}random_seed: 1.5\n`)).toBe("random_seed: expected a non-negative integer, got 1.5");
    expect(errorOf(`${MINIMAL}tokenizer_source: union\n`)).toBe(
      'tokenizer_source: "union" is unsupported; only "base" (or leaving it out) is supported',
    );
    expect(errorOf(`${MINIMAL}tokenizer:\n  source: union\n`)).toMatch(/^tokenizer\.source: "union" is unsupported/);
    expect(errorOf(`${MINIMAL}tokenizer:\n  source: base\n  tokens: {}\n`)).toMatch(/^tokenizer: unknown key "tokens"/);
    expect(errorOf(`${MINIMAL}tokenizer_source: base\ntokenizer:\n  source: base\n`)).toBe(
      "tokenizer: cannot specify both tokenizer_source and tokenizer",
    );
  });

  it("prefixes messages with the source name when given", () => {
    expect(errorOf(`${MINIMAL}bogus: 1\n`, "merge.yml")).toMatch(/^merge\.yml: unknown top-level key "bogus"/);
  });
});
