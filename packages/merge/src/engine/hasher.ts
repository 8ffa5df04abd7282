/**
 * SHA-256 of input tensors on worker threads. Content fingerprints need a
 * hash of every byte the merge reads; doing that in worker threads lets it
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
/** Bytes handed to a hashing thread and not yet hashed, beyond which `room()` waits. */
const MAX_IN_FLIGHT = 16 << 20;
/**
 * Hashing threads. One SHA-256 stream runs at about 1.8 GB/s on one core,
 * slower than a merge reads its inputs; each key's bytes are hashed in order
 * on one thread, and keys are dealt to the threads in turn.
 */
export const HASH_THREADS = 2;

type Progress = { length: number; ticket: number };
type Message = { type: "digest"; id: number; hex: string } | ({ type: "free"; buffer: ArrayBuffer } & Progress) | ({ type: "done" } & Progress);

/** One hashing thread, and the tickets it has not hashed yet (in order). */
class HashLane {
  readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  /** Tickets sent to this thread and not hashed yet, oldest first. */
  readonly unhashed: number[] = [];
  inFlight = 0;
}

export class TensorHasher {
  private readonly lanes: HashLane[];
  private readonly laneOfKey = new Map<string, HashLane>();
  private nextLane = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private closing = false;
  /** Copy buffers back from the hashing threads, ready for reuse. */
  private readonly free: ArrayBuffer[] = [];
  /** Tickets issued (one counter for all threads). */
  private issued = 0;
  /** Callers waiting for the threads to catch up, each with what it waits for. */
  private waiters: { ready: () => boolean; resolve: () => void }[] = [];

  constructor(threads = HASH_THREADS) {
    this.lanes = Array.from({ length: Math.max(1, threads) }, () => new HashLane());
    // A dead hashing thread must fail the merge, not leave digests waiting forever.
    const fail = (e: Error) => {
      this.failure ??= new GraftError("IO", `hashing thread failed: ${e.message}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
      this.wake();
    };
    for (const lane of this.lanes) {
      lane.worker.on("message", (m: Message) => {
        if (m.type === "free" || m.type === "done") {
          if (m.type === "free" && this.free.length < MAX_FREE_BUFFERS) this.free.push(m.buffer);
          lane.inFlight -= m.length;
          lane.unhashed.shift(); // a thread answers its updates in order
          this.wake();
          return;
        }
        this.pending.get(m.id)?.resolve(m.hex);
        this.pending.delete(m.id);
      });
      lane.worker.on("error", fail);
      lane.worker.on("exit", (code) => {
        if (!this.closing) fail(new Error(`exited with code ${code}`));
      });
    }
  }

  /** The thread that hashes `key`: its first update deals it to the next thread in turn. */
  private laneFor(key: string): HashLane {
    let lane = this.laneOfKey.get(key);
    if (!lane) {
      lane = this.lanes[this.nextLane++ % this.lanes.length]!;
      this.laneOfKey.set(key, lane);
    }
    return lane;
  }

  /**
   * Adds bytes to the hash `key` and returns their ticket. Bytes in shared
   * memory are read in place: keep them until `settled(ticket)`. Otherwise,
   * with `transfer`, `bytes` is detached and must not be used again; without,
   * it is copied.
   */
  update(key: string, bytes: Uint8Array, transfer: boolean): number {
    if (this.failure) throw this.failure;
    const lane = this.laneFor(key);
    const ticket = ++this.issued;
    lane.inFlight += bytes.byteLength;
    lane.unhashed.push(ticket);
    if (bytes.buffer instanceof SharedArrayBuffer) {
      lane.worker.postMessage({ type: "update", key, view: bytes, length: bytes.byteLength, ticket });
      return ticket;
    }
    const owned = transfer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const buffer = owned ? (bytes.buffer as ArrayBuffer) : this.copyOf(bytes);
    lane.worker.postMessage({ type: "update", key, buffer, length: bytes.byteLength, recycle: !owned, ticket }, [buffer]);
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

  /** Whether the update with this ticket (and every earlier one) has been hashed, on every thread. */
  isSettled(ticket: number): boolean {
    return this.lanes.every((lane) => lane.unhashed.length === 0 || lane.unhashed[0]! > ticket);
  }

  /** Resolves once every hashing thread has caught up enough: bytes waiting for them stay bounded when they are slower than the merge. */
  room(): Promise<void> {
    return this.until(() => this.lanes.every((lane) => lane.inFlight <= MAX_IN_FLIGHT));
  }

  private async until(ready: () => boolean): Promise<void> {
    if (!ready() && !this.failure) await new Promise<void>((resolve) => this.waiters.push({ ready, resolve }));
    if (this.failure) throw this.failure;
  }

  /** Resolves the waiters whose condition now holds (all of them once a thread failed). */
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
    const lane = this.laneOfKey.get(key) ?? this.lanes[0]!;
    this.laneOfKey.delete(key);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      lane.worker.postMessage({ type: "digest", key, id });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.lanes.map((lane) => lane.worker.terminate()));
  }
}
