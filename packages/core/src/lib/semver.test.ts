import { describe, expect, it } from "vitest";
import { compareSemver, isSemver, maxSemver } from "./semver";

describe("semver", () => {
  it("accepts semver 2.0 versions and refuses others", () => {
    for (const v of ["0.0.1", "1.2.3", "1.0.0-alpha.1", "1.0.0+build.5"]) expect(isSemver(v)).toBe(true);
    for (const v of ["1", "1.2", "01.2.3", "v1.2.3", "1.2.3-", ""]) expect(isSemver(v)).toBe(false);
  });

  it("orders by precedence as in semver.org §11", () => {
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"];
    for (let i = 1; i < ordered.length; i++) expect(compareSemver(ordered[i - 1], ordered[i])).toBeLessThan(0);
    expect(compareSemver("1.0.0+a", "1.0.0+b")).toBe(0);
    expect(maxSemver(["1.2.0", "1.10.0", "1.9.9"])).toBe("1.10.0");
  });
});
