// Faults during uploads, with the real server process:
// - the web process is killed (SIGKILL) halfway through a large upload: after
//   a restart there is no row, no blob, only a cut-off scratch file that
//   garbage collection removes, and the same upload then succeeds;
// - a client stalls in the middle of an upload: a 408 once nothing arrived
//   for GRAFT_UPLOAD_IDLE_SECONDS, with nothing stored;
// - the disk fills up during an upload (a small tmpfs as the blob folder;
//   needs root to mount): a clear 507, no row, no blob, no scratch file left,
//   and the server keeps serving.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGarbage } from "@graft/core";
import { createDb } from "@graft/db";
import { LocalBlobStore } from "@graft/storage";
import { ensureBuilt } from "../build";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique } from "../client";
import { writeFixtures, type FixtureSet } from "../fixtures";

let dir: string;
let fx: FixtureSet;
beforeAll(async () => {
  // Servers start inside the tests below: build first, under the hook's longer timeout.
  await ensureBuilt();
  dir = await mkdtemp(path.join(tmpdir(), "graft-faults-"));
  fx = await writeFixtures(dir);
}, 900_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MIB = 1024 * 1024;

/**
 * A multipart foundation upload whose file part is a valid safetensors header
 * for `tensorBytes` of float32 data, streamed 1 MiB at a time; `onChunk` sees
 * the count of data chunks sent so far.
 */
function slowFoundationUpload(
  fields: Record<string, string>,
  tensorBytes: number,
  onChunk: (sent: number) => void,
  /** Stop sending (without ending the body) once this many chunks went out. */
  stallAfter = Infinity,
): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = `graft-${Date.now()}`;
  const enc = new TextEncoder();
  const header = JSON.stringify({ w: { dtype: "F32", shape: [tensorBytes / 4], data_offsets: [0, tensorBytes] } });
  const padded = header + " ".repeat((8 - (header.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  const head =
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join("") + `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.safetensors"\r\ncontent-type: application/octet-stream\r\n\r\n`;
  let sent = 0;
  const chunks = tensorBytes / MIB;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(head));
      controller.enqueue(prefix);
      controller.enqueue(enc.encode(padded));
    },
    async pull(controller) {
      if (sent >= stallAfter) return new Promise<void>(() => {});
      if (sent === chunks) {
        controller.enqueue(enc.encode(`\r\n--${boundary}--\r\n`));
        controller.close();
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
      controller.enqueue(new Uint8Array(MIB));
      onChunk(++sent);
    },
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function newOwner(server: TestServer): Promise<{ client: ApiClient; team: string }> {
  const client = new ApiClient(server.baseUrl);
  await client.signUp(`${unique("owner")}@example.com`);
  const team = unique("lab");
  expect((await client.post("/api/v1/teams", { slug: team, name: "Lab" })).status).toBe(201);
  return { client, team };
}

describe("a web process killed during an upload", () => {
  it("leaves no row and no blob, and the upload succeeds after a restart", async () => {
    const first = await startServer();
    let second: TestServer | null = null;
    try {
      const { client, team } = await newOwner(first);
      let killing: Promise<void> | null = null;
      const upload = slowFoundationUpload({ teamSlug: team, slug: "big", name: "Big", architecture: "llama", licence: "mit" }, 64 * MIB, (sent) => {
        if (sent === 16 && !killing) killing = first.kill();
      });
      const request = fetch(`${first.baseUrl}/api/v1/foundations`, {
        method: "POST",
        body: upload.body,
        headers: { "content-type": upload.contentType, cookie: client.cookieHeader(), origin: first.baseUrl },
        duplex: "half",
      } as RequestInit);
      await expect(request).rejects.toThrow();
      await killing;

      const db = createDb(first.databaseUrl);
      try {
        expect(await db.foundation.count()).toBe(0);
        expect(await db.blob.count()).toBe(0);
      } finally {
        await db.$disconnect();
      }
      expect(existsSync(path.join(first.blobDir, "sha256")) ? await readdir(path.join(first.blobDir, "sha256")) : []).toEqual([]);
      const leftovers = await readdir(path.join(first.blobDir, "tmp"));
      expect(leftovers.length).toBeGreaterThan(0);

      second = await startServer({ after: first });
      const again = new ApiClient(second.baseUrl);
      expect(await again.signIn(await emailOf(second, team), "correct-horse-battery")).toBe(true);
      const res = await again.post(
        "/api/v1/foundations",
        await multipart({ teamSlug: team, slug: "big", name: "Big", architecture: "llama", licence: "mit" }, { file: fx.base }),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);

      const db2 = createDb(second.databaseUrl);
      try {
        const report = await collectGarbage({ db: db2, blobs: new LocalBlobStore(second.blobDir) }, { graceMs: 0 });
        expect(report.orphanBlobs).toEqual([]);
        expect(report.scratchFilesRemoved).toBe(leftovers.length);
        expect(await db2.foundation.count()).toBe(1);
      } finally {
        await db2.$disconnect();
      }
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});

describe("a client that stalls in the middle of an upload", () => {
  it("is cut off with 408 once nothing arrives for the idle timeout, and nothing is stored", async () => {
    const server = await startServer({ env: { GRAFT_UPLOAD_IDLE_SECONDS: "1" } });
    try {
      const { client, team } = await newOwner(server);
      const upload = slowFoundationUpload({ teamSlug: team, slug: "stalled", name: "Stalled", architecture: "llama", licence: "mit" }, 16 * MIB, () => {}, 4);
      const started = Date.now();
      const res = await fetch(`${server.baseUrl}/api/v1/foundations`, {
        method: "POST",
        body: upload.body,
        headers: { "content-type": upload.contentType, cookie: client.cookieHeader(), origin: server.baseUrl },
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(408);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("TIMEOUT");
      expect(Date.now() - started).toBeLessThan(30_000);
      const db = createDb(server.databaseUrl);
      try {
        expect(await db.foundation.count()).toBe(0);
        expect(await db.blob.count()).toBe(0);
      } finally {
        await db.$disconnect();
      }
      expect(await readdir(path.join(server.blobDir, "tmp")).catch(() => [])).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

async function emailOf(server: TestServer, team: string): Promise<string> {
  const db = createDb(server.databaseUrl);
  try {
    const m = await db.membership.findFirstOrThrow({ where: { team: { slug: team } }, include: { user: true } });
    return m.user.email;
  } finally {
    await db.$disconnect();
  }
}

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("a disk that fills up during an upload", () => {
  let mount: string;
  let server: TestServer;
  beforeAll(async () => {
    mount = path.join(dir, "small-disk");
    await mkdir(mount);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount]);
    server = await startServer({ blobDir: path.join(mount, "blobs") });
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
    if (mount) execFileSync("umount", [mount]);
  });

  it("answers 507 with nothing stored, and keeps serving", async () => {
    const { client, team } = await newOwner(server);
    const upload = slowFoundationUpload({ teamSlug: team, slug: "huge", name: "Huge", architecture: "llama", licence: "mit" }, 8 * MIB, () => {});
    const res = await fetch(`${server.baseUrl}/api/v1/foundations`, {
      method: "POST",
      body: upload.body,
      headers: { "content-type": upload.contentType, cookie: client.cookieHeader(), origin: server.baseUrl },
      duplex: "half",
    } as RequestInit);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(507);
    expect(body.error).toEqual({ code: "NO_SPACE", message: expect.stringMatching(/out of storage space/) });

    const db = createDb(server.databaseUrl);
    try {
      expect(await db.foundation.count()).toBe(0);
      expect(await db.blob.count()).toBe(0);
    } finally {
      await db.$disconnect();
    }
    expect(await readdir(path.join(mount, "blobs", "tmp"))).toEqual([]);
    // Space is free again: a small upload goes through.
    const ok = await client.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: team, slug: "small", name: "Small", architecture: "llama", licence: "mit" }, { file: fx.base }),
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});
