import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { TensorHasher } from "./hasher";

let hasher: TensorHasher | null = null;
afterEach(async () => {
  await hasher?.close();
  hasher = null;
});

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

describe("the hashing thread", () => {
  it("hashes copied and handed-over bytes, per key, in order", async () => {
    hasher = new TensorHasher();
    const a = new Uint8Array(1000).map((_, i) => i);
    const b = new Uint8Array(3000).map((_, i) => i * 7);
    const expected = { x: sha256(a, b), y: sha256(b) };
    hasher.update("x", a, false); // copied: still ours
    hasher.update("y", b.slice(), true); // handed over
    hasher.update("x", b.slice(), true);
    expect(a[999]).toBe(999 % 256);
    expect({ x: await hasher.digest("x"), y: await hasher.digest("y") }).toEqual(expected);
  });

  it("hashes shared memory in place; once an update is settled its bytes may be overwritten", async () => {
    hasher = new TensorHasher();
    const shared = new Uint8Array(new SharedArrayBuffer(8 << 20));
    const first = shared.subarray(0, 4 << 20).fill(1);
    const second = shared.subarray(4 << 20).fill(2);
    const expected = sha256(first.slice(), second.slice());
    hasher.update("k", first, false);
    const ticket = hasher.update("k", second, false);
    expect(ticket).toBe(hasher.latest);
    await hasher.settled(ticket);
    shared.fill(9); // too late to change the hash
    expect(await hasher.digest("k")).toBe(expected);
  });

  it("deals keys to its threads; a ticket is settled only once every earlier update, on any thread, is hashed", async () => {
    hasher = new TensorHasher(2);
    const big = new Uint8Array(new SharedArrayBuffer(64 << 20)).fill(5);
    const small = new Uint8Array(new SharedArrayBuffer(16)).fill(6);
    const first = hasher.update("big", big, false); // the first thread
    const second = hasher.update("small", small, false); // the second: done long before the first
    await hasher.settled(second);
    expect(hasher.isSettled(first)).toBe(true);
    expect({ big: await hasher.digest("big"), small: await hasher.digest("small") }).toEqual({ big: sha256(big.slice()), small: sha256(small.slice()) });
    // A key keeps its thread: its bytes are hashed in order.
    const parts = [1, 2, 3].map((v) => new Uint8Array(1 << 20).fill(v));
    for (const [i, part] of parts.entries()) hasher.update(i % 2 ? "other" : "k", part.slice(), true);
    hasher.update("k", parts[1]!.slice(), true);
    expect(await hasher.digest("k")).toBe(sha256(parts[0]!, parts[2]!, parts[1]!));
    expect(await hasher.digest("other")).toBe(sha256(parts[1]!));
  });

  it("keeps the bytes waiting for it bounded: room() waits until it has caught up", async () => {
    hasher = new TensorHasher();
    const chunk = new Uint8Array(2 << 20).fill(3);
    for (let i = 0; i < 64; i++) hasher.update("k", chunk, false); // 128 MiB, far ahead of the thread
    expect(hasher.isSettled(hasher.latest)).toBe(false);
    await hasher.room(); // resolves once the thread is back within its bound
    const digest = await hasher.digest("k");
    expect(hasher.isSettled(hasher.latest)).toBe(true);
    expect(digest).toBe(sha256(...Array.from({ length: 64 }, () => chunk)));
  });
});
