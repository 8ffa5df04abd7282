// The OpenAPI document served at /api/v1/openapi.json must describe exactly
// the route files under src/app/api/v1 and the HTTP methods each exports.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEB_DIR } from "../build";
import { startServer, type TestServer } from "../server";

const API_DIR = path.join(WEB_DIR, "src", "app", "api", "v1");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** route path ("/teams/{slug}") → exported methods, from the files on disk. */
async function routesOnDisk(dir = API_DIR, out = new Map<string, string[]>()): Promise<Map<string, string[]>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await routesOnDisk(full, out);
    else if (entry.name === "route.ts") {
      const rel = path.relative(API_DIR, dir).split(path.sep).filter(Boolean);
      const route = "/" + rel.map((seg) => seg.replace(/^\[(.+)\]$/, "{$1}")).join("/");
      const source = await readFile(full, "utf8");
      const methods = METHODS.filter((m) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${m}\\b`).test(source));
      out.set(route, methods);
    }
  }
  return out;
}

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
}, 900_000);

afterAll(async () => {
  await server?.stop();
});

describe("OpenAPI document", () => {
  it("is valid JSON describing OpenAPI 3.1 with /api/v1 as its server", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const doc = JSON.parse(await res.text());
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "/api/v1" }]);
    expect(doc.info.title).toBeTruthy();
  });

  it("lists every route file and exactly its exported methods", async () => {
    const doc = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const disk = await routesOnDisk();
    expect(disk.size).toBeGreaterThanOrEqual(15);
    expect(Object.keys(doc.paths).sort()).toEqual([...disk.keys()].sort());
    for (const [route, methods] of disk) {
      expect(Object.keys(doc.paths[route]).map((m) => m.toUpperCase()).sort(), route).toEqual([...methods].sort());
    }
  });

  it("gives every operation a summary, responses and resolvable $refs", async () => {
    const doc = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/[^"]+"/g) ?? [];
    for (const r of refs) {
      const [, kind, name] = /#\/components\/(\w+)\/([^"]+)/.exec(r)!;
      expect(doc.components[kind]?.[name], r).toBeDefined();
    }
    for (const [route, ops] of Object.entries<Record<string, { summary?: string; responses?: object }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${route}`).toBeTruthy();
        expect(Object.keys(op.responses ?? {}).length, `${method} ${route}`).toBeGreaterThan(0);
      }
    }
  });
});
