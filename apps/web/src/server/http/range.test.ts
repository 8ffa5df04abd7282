// Range header parsing: the forms clients send, and the ones to ignore.
import { describe, expect, it } from "vitest";
import { parseRangeHeader } from "./range";

describe("parseRangeHeader", () => {
  it("parses closed, open and suffix ranges", () => {
    expect(parseRangeHeader("bytes=0-99")).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader("bytes=100-")).toEqual({ start: 100 });
    expect(parseRangeHeader("bytes=-500")).toEqual({ suffix: 500 });
    expect(parseRangeHeader(" Bytes = 5 - 9 ")).toEqual({ start: 5, end: 9 });
  });

  it("ignores absent, foreign, multiple and inverted ranges", () => {
    expect(parseRangeHeader(null)).toBeNull();
    expect(parseRangeHeader("items=0-5")).toBeNull();
    expect(parseRangeHeader("bytes=0-5,10-15")).toBeNull();
    expect(parseRangeHeader("bytes=9-5")).toBeNull();
    expect(parseRangeHeader("bytes=-")).toBeNull();
  });
});
