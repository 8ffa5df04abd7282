import { defineConfig } from "vitest/config";

// One test command for the whole workspace: unit tests live beside the code
// (`*.test.ts`); browser tests live in apps/web/e2e and share the same runner.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "apps/*/e2e/**/*.test.ts", "scripts/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.next/**"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: "forks",
    // Tests that exercise the tensor hash cache give it a directory of their own.
    env: { GRAFT_HASH_CACHE: "off" },
  },
});
