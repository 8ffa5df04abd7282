import { describe, expect, it } from "vitest";
import { GraftError } from "../errors";
import { formatModelRef, parseModelRef, sameModelRef } from "./model-ref";

describe("model references (model+lora)", () => {
  it("parses a plain hub id or path without a lora", () => {
    expect(parseModelRef("mistralai/Mistral-7B-v0.1")).toStrictEqual({ path: "mistralai/Mistral-7B-v0.1" });
    expect(parseModelRef("/models/base")).toStrictEqual({ path: "/models/base" });
  });

  it("splits a LoRA suffix after '+'", () => {
    expect(parseModelRef("meta-llama/Meta-Llama-3.1-70B-Instruct+Llama-3-70B-Instruct-abliterated-LORA")).toStrictEqual({
      path: "meta-llama/Meta-Llama-3.1-70B-Instruct",
      lora: "Llama-3-70B-Instruct-abliterated-LORA",
    });
  });

  it("keeps a mergekit @revision inside the path", () => {
    expect(parseModelRef("org/model@main+org/lora@v2")).toStrictEqual({ path: "org/model@main", lora: "org/lora@v2" });
  });

  it("formats back to the same string", () => {
    for (const s of ["a/b", "a/b+c/d", "./x@rev+./y"]) expect(formatModelRef(parseModelRef(s))).toBe(s);
  });

  it("rejects more than one '+', empty parts and repeated '@' as INVALID_RECIPE", () => {
    for (const s of ["a+b+c", "a+", "+b", "", "  ", "a@b@c", "a@"]) {
      expect(() => parseModelRef(s), s).toThrow(GraftError);
    }
    expect(() => parseModelRef("a+b+c")).toThrow(/more than one "\+"/);
  });

  it("compares references by path and lora", () => {
    expect(sameModelRef({ path: "a" }, { path: "a" })).toBe(true);
    expect(sameModelRef({ path: "a" }, { path: "a", lora: "l" })).toBe(false);
  });
});
