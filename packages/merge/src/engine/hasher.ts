/**
 * SHA-256 of input tensors on the second core. Content fingerprints need a
 * hash of every byte the merge reads; doing that in a worker thread lets it
 * overlap the merge arithmetic instead of adding to it. Bytes in shared
 * memory (the engine's WebAssembly arenas) are hashed where they are, and
 * each update returns a ticket: the caller must not overwrite those bytes
 * before `settled(ticket)`. Buffers the engine no longer needs are
 * transferred (zero-copy); others are copied into buffers that the thread
 * hands back once hashed, so copies reuse memory instead of allocating (and
 * page-faulting) gigabytes of fresh buffers.
 *
 * The worker is inline JavaScript (eval) so it runs the same under tsx, a
 * bundler (Next.js) or plain node, with no file to locate at run time.
 */
import { Worker } from "node:worker_threads";
import { GraftError } from "../errors";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
parentPort.on("message", (m) => {
  if (m.type === "update") {
    let h = hashes.get(m.key);
    if (!h) hashes.set(m.key, (h = createHash("sha256")));
    h.update(m.view ?? new Uint8Array(m.buffer, 0, m.length));
    if (m.recycle) parentPort.postMessage({ type: "free", buffer: m.buffer, length: m.length, ticket: m.ticket }, [m.buffer]);
    else parentPort.postMessage({ type: "done", length: m.length, ticket: m.ticket });
  } else if (m.type === "digest") {
    const h = hashes.get(m.key) ?? createHash("sha256");
    hashes.delete(m.key);
    parentPort.postMessage({ type: "digest", id: m.id, hex: h.digest("hex") });
  }
});
`;

/** Enough recycled buffers for the copies in flight (a few chunks of every input). */
const MAX_FREE_BUFFERS = 12;
/** Bytes handed to the hashing thread and not yet hashed, beyond which `room()` waits. */
const MAX_IN_FLIGHT = 16 << 20;

export class TensorHasher {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private closing = false;
  /** Copy buffers back from the hashing thread, ready for reuse. */
  private readonly free: ArrayBuffer[] = [];
  private inFlight = 0;
  /** Tickets issued, and the last one hashed (updates are hashed in order). */
  private issued = 0;
  private hashed = 0;
  /** Callers waiting for the thread to catch up, each with what it waits for. */
  private waiters: { ready: () => boolean; resolve: () => void }[] = [];

  constructor() {
    type Progress = { length: number; ticket: number };
    type Message = { type: "digest"; id: number; hex: string } | ({ type: "free"; buffer: ArrayBuffer } & Progress) | ({ type: "done" } & Progress);
    this.worker.on("message", (m: Message) => {
      if (m.type === "free" || m.type === "done") {
        if (m.type === "free" && this.free.length < MAX_FREE_BUFFERS) this.free.push(m.buffer);
        this.inFlight -= m.length;
        this.hashed = m.ticket;
        this.wake();
        return;
      }
      this.pending.get(m.id)?.resolve(m.hex);
      this.pending.delete(m.id);
    });
    // A dead hashing thread must fail the merge, not leave digests waiting forever.
    const fail = (e: Error) => {
      this.failure ??= new GraftError("IO", `hashing thread failed: ${e.message}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
      this.wake();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => {
      if (!this.closing) fail(new Error(`exited with code ${code}`));
    });
  }

  /**
   * Adds bytes to the hash `key` and returns their ticket. Bytes in shared
   * memory are read in place: keep them until `settled(ticket)`. Otherwise,
   * with `transfer`, `bytes` is detached and must not be used again; without,
   * it is copied.
   */
  update(key: string, bytes: Uint8Array, transfer: boolean): number {
    if (this.failure) throw this.failure;
    const ticket = ++this.issued;
    this.inFlight += bytes.byteLength;
    if (bytes.buffer instanceof SharedArrayBuffer) {
      this.worker.postMessage({ type: "update", key, view: bytes, length: bytes.byteLength, ticket });
      return ticket;
    }
    const owned = transfer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const buffer = owned ? (bytes.buffer as ArrayBuffer) : this.copyOf(bytes);
    this.worker.postMessage({ type: "update", key, buffer, length: bytes.byteLength, recycle: !owned, ticket }, [buffer]);
    return ticket;
  }

  /** Resolves once the update with this ticket (and every earlier one) has been hashed. */
  settled(ticket: number): Promise<void> {
    return this.until(() => this.isSettled(ticket));
  }

  /** The ticket of the latest update. */
  get latest(): number {
    return this.issued;
  }

  /** Whether the update with this ticket (and every earlier one) has been hashed. */
  isSettled(ticket: number): boolean {
    return this.hashed >= ticket;
  }

  /** Resolves once the hashing thread has caught up enough: bytes waiting for it stay bounded when it is slower than the merge. */
  room(): Promise<void> {
    return this.until(() => this.inFlight <= MAX_IN_FLIGHT);
  }

  private async until(ready: () => boolean): Promise<void> {
    if (!ready() && !this.failure) await new Promise<void>((resolve) => this.waiters.push({ ready, resolve }));
    if (this.failure) throw this.failure;
  }

  /** Resolves the waiters whose condition now holds (all of them once the thread failed). */
  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (this.failure || w.ready()) w.resolve();
      else this.waiters.push(w);
    }
  }

  /** `bytes` in a recycled buffer when one is large enough, else a new one. */
  private copyOf(bytes: Uint8Array): ArrayBuffer {
    const i = this.free.findIndex((b) => b.byteLength >= bytes.byteLength);
    const buffer = i >= 0 ? this.free.splice(i, 1)[0]! : new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer, 0, bytes.byteLength).set(bytes);
    return buffer;
  }

  /** The hex digest of everything added under `key` (which is then reset). */
  digest(key: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "digest", key, id });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
