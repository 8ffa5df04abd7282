// Next.js configuration for Graft's web app: loads the repository's .env,
// compiles the workspace's TypeScript packages, keeps native/database packages
// out of the bundle, and sets security headers on every response.
import { existsSync } from "node:fs";
import path from "node:path";
import type { NextConfig } from "next";

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, "../..");
    dir = parent;
  }
  return dir;
}

const repoRoot = findRepoRoot(process.cwd());

// Next only reads apps/web/.env*; the repository keeps one .env at its root.
// Variables already set in the environment win (loadEnvFile never overrides).
const rootEnv = path.join(repoRoot, ".env");
if (existsSync(rootEnv)) process.loadEnvFile(rootEnv);

// Prisma's generated clients (SQLite and PostgreSQL) find their query-compiler
// WASM next to themselves via __dirname, so they must be required from where
// they live, never bundled.
const prismaGenerated = path.join(repoRoot, "packages", "db", "generated");

const isDev = process.env.NODE_ENV !== "production";
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${isDev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self' https://github.com",
].join("; ");

const securityHeaders = [
  { key: "Content-Security-Policy", value: csp },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
];

const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  outputFileTracingRoot: repoRoot,
  transpilePackages: ["@graft/core", "@graft/db", "@graft/storage", "@graft/merge", "@graft/lab"],
  // Native, database, object-storage and TensorFlow.js packages are required from node_modules at run time, not bundled.
  serverExternalPackages: [
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
    "@aws-sdk/s3-request-presigner",
    "@prisma/client",
    "@prisma/adapter-libsql",
    "@prisma/adapter-pg",
    "pg-boss",
    "pg",
    "@libsql/client",
    "libsql",
    "busboy",
    "sanitize-html",
    "@tensorflow/tfjs",
  ],
  // The test harness builds with GRAFT_BUILD_SKIP_TYPECHECK=1 (tsc runs separately, `pnpm typecheck`).
  typescript: { tsconfigPath: "tsconfig.json", ignoreBuildErrors: process.env.GRAFT_BUILD_SKIP_TYPECHECK === "1" },
  eslint: { ignoreDuringBuilds: true },
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
  webpack(config, { isServer }) {
    if (isServer) {
      const externals = Array.isArray(config.externals) ? config.externals : config.externals ? [config.externals] : [];
      externals.unshift(({ context, request }: { context?: string; request?: string }, callback: (err?: Error | null, result?: string) => void) => {
        if (context && request && request.startsWith(".")) {
          const resolved = path.resolve(context, request);
          if (resolved === prismaGenerated || resolved.startsWith(prismaGenerated + path.sep)) {
            return callback(null, `commonjs ${resolved}`);
          }
        }
        callback();
      });
      config.externals = externals;
    }
    // packages/db locates prisma/migrations with `new URL(…, import.meta.url)`;
    // that is a runtime path, not an asset for webpack to bundle.
    config.module.rules.push({ test: /[\\/]packages[\\/]db[\\/]src[\\/].*\.ts$/, parser: { url: false } });
    // packages/lab finds its data sets with Node's own require (createRequire):
    // they are read from node_modules at run time, never bundled.
    config.module.rules.push({ test: /[\\/]packages[\\/]lab[\\/]src[\\/].*\.ts$/, parser: { createRequire: false } });
    return config;
  },
};

export default nextConfig;
