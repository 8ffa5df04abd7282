/**
 * A second thread for the SIMD kernels. A kernel call over n elements is cut
 * into pieces, and the calling thread and the helper claim pieces in turn
 * from a counter in shared memory: the call takes about half as long when the
 * helper's core is free, and no longer than before when it is busy (the
 * caller then claims every piece itself). Both run the same WebAssembly
 * module on the same shared memory, so nothing is copied.
 *
 * The calling thread blocks (Atomics.wait) only for pieces the helper has
 * already started. The helper sleeps on the claim word between calls, and
 * runs at a lower operating-system priority than the merge's other threads:
 * on a core it shares with the hashing thread, it takes only what hashing
 * leaves.
 *
 * Claim protocol, one Int32 word: (call sequence << 8) | next piece. The
 * caller closes the word (piece = CLOSED) before it rewrites the call's
 * description, so a helper that read an old description can never claim a
 * piece of the new call with it: its compare-and-swap fails.
 */
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";

/** One argument of a split kernel call, resolved per piece [start, end). */
export type SplitArg =
  | { value: number }
  /** A byte offset that moves `stride` bytes per element. */
  | { ptr: number; stride: number }
  /** One value for the calling thread, another for the helper (per-thread tables and scratch); `alone` when the call is not split. */
  | { perThread: readonly [number, number]; alone?: number }
  | "count"
  | "start"
  | "end";

/** At most this many pieces per call (the claim word keeps the piece in 8 bits, 255 = closed). */
export const MAX_PIECES = 254;
const CLOSED = 255;
const MAX_ARGS = 16;

// Int32 words of the control block
const CLAIM = 0;
const DONE = 1;
const PIECES = 2;
const KERNEL = 3;
const MEMORY = 4;
const N = 5;
const PIECE_ELEMENTS = 6;
const ARG_COUNT = 7;
const EXIT = 8;
/** Set when a kernel threw on either thread: calls then run whole on the calling thread, and nobody waits for the helper. */
const FAILED = 9;
const RESULTS = 16;
const CONTROL_INTS = RESULTS + MAX_PIECES;

// Argument encoding: three float64 per argument (kind, a, b)
const ARG_VALUE = 0;
const ARG_PTR = 1;
const ARG_PER_THREAD = 2;
const ARG_COUNT_OF_PIECE = 3;
const ARG_START = 4;
const ARG_END = 5;

/**
 * What both threads run, as source text: the worker is inline JavaScript
 * (like the hashing thread's), and the calling thread compiles the same
 * text, so the two cannot drift apart. `runPiece` resolves the arguments of
 * piece p for thread 0 (caller) or 1 (helper) and runs the kernel;
 * `claimPieces` claims pieces of call `sequence` until none is left.
 */
const SHARED_SOURCE = `
const C = ${JSON.stringify({ CLAIM, DONE, PIECES, KERNEL, MEMORY, N, PIECE_ELEMENTS, ARG_COUNT, EXIT, FAILED, RESULTS, CLOSED, ARG_VALUE, ARG_PTR, ARG_PER_THREAD, ARG_COUNT_OF_PIECE, ARG_START })};
function runPiece(kernels, names, ctl, args, p, thread) {
  const n = ctl[C.N];
  const size = ctl[C.PIECE_ELEMENTS];
  const start = p * size;
  const end = Math.min(n, start + size);
  const values = [];
  for (let i = 0; i < ctl[C.ARG_COUNT]; i++) {
    const kind = args[3 * i], a = args[3 * i + 1], b = args[3 * i + 2];
    values.push(
      kind === C.ARG_VALUE ? a
      : kind === C.ARG_PTR ? a + b * start
      : kind === C.ARG_PER_THREAD ? (thread === 0 ? a : b)
      : kind === C.ARG_COUNT_OF_PIECE ? end - start
      : kind === C.ARG_START ? start
      : end);
  }
  return kernels[names[ctl[C.KERNEL]]](...values) | 0;
}
function claimPieces(kernels, names, ctl, args, thread, sequence) {
  for (;;) {
    const claim = Atomics.load(ctl, C.CLAIM);
    const p = claim & 0xff;
    if (claim >>> 8 !== sequence || p === C.CLOSED || p >= Atomics.load(ctl, C.PIECES)) return;
    if (Atomics.compareExchange(ctl, C.CLAIM, claim, claim + 1) !== claim) continue;
    // The call's description cannot change while this piece is unfinished.
    ctl[C.RESULTS + p] = runPiece(kernels, names, ctl, args, p, thread);
    if (Atomics.add(ctl, C.DONE, 1) + 1 === ctl[C.PIECES]) Atomics.notify(ctl, C.DONE);
  }
}
`;

type Kernels = Record<string, (...a: number[]) => number>;
type ClaimPieces = (kernels: Kernels, names: readonly string[], ctl: Int32Array, args: Float64Array, thread: number, sequence: number) => void;
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the same text the worker runs
const claimPieces = new Function(`${SHARED_SOURCE}\nreturn claimPieces;`)() as ClaimPieces;

/** The helper's niceness: the hashing thread gets about nine tenths of a core they share. */
const HELPER_NICE = 10;

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { control, argBuffer, port, names } = workerData;
const ctl = new Int32Array(control);
const args = new Float64Array(argBuffer);
const instances = new Map();
// Below the other threads in the operating system's priority (Linux names a
// thread's id in /proc/thread-self), so that the merge's hashing thread, on
// the same core, takes that core whenever it has work and this one only
// fills the gaps. Elsewhere it runs at normal priority and shares the core.
try {
  const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
  require("node:os").setPriority(tid, ${HELPER_NICE});
} catch {}
${SHARED_SOURCE}
function drain() {
  for (let m; (m = receiveMessageOnPort(port)); ) {
    const msg = m.message;
    if (msg.type === "add") instances.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } }).exports);
    else instances.delete(msg.id);
  }
}
for (;;) {
  drain();
  if (Atomics.load(ctl, C.EXIT)) break;
  const claim = Atomics.load(ctl, C.CLAIM);
  const p = claim & 0xff;
  const kernels = instances.get(Atomics.load(ctl, C.MEMORY));
  if (p === C.CLOSED || p >= Atomics.load(ctl, C.PIECES) || !kernels) {
    // Sleep until the next call; wake now and then to forget released memories.
    Atomics.wait(ctl, C.CLAIM, claim, 200);
    continue;
  }
  try {
    claimPieces(kernels, names, ctl, args, 1, claim >>> 8);
  } catch (e) {
    Atomics.store(ctl, C.FAILED, 1);
    Atomics.notify(ctl, C.DONE);
    throw e;
  }
}
`;

/** The arguments of an unsplit call over [start, end), on the calling thread. */
export function resolveArgs(args: readonly SplitArg[], start: number, end: number): number[] {
  return args.map((arg) =>
    arg === "count" ? end - start
    : arg === "start" ? start
    : arg === "end" ? end
    : "value" in arg ? arg.value
    : "ptr" in arg ? arg.ptr + arg.stride * start
    : (arg.alone ?? arg.perThread[0]),
  );
}

let nextMemoryId = 1;

export class KernelHelper {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  private readonly args = new Float64Array(new SharedArrayBuffer(3 * MAX_ARGS * 8));
  private sequence = 0;
  private closed = false;

  private constructor(private readonly names: readonly string[]) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.ctl[CLAIM] = CLOSED;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        control: this.ctl.buffer,
        argBuffer: this.args.buffer,
        port: port2,
        names,
      },
      transferList: [port2],
    });
    // It must not keep a finished process alive; a failure only means the caller does all the work.
    this.worker.unref();
    this.worker.on("error", () => {});
  }

  /** A helper thread for kernels exported under `names`. */
  static start(names: readonly string[]): KernelHelper {
    return new KernelHelper(names);
  }

  /** Lets the helper run kernels on `memory`; returns the id that calls name it by. */
  register(module: object, memory: object): number {
    const id = nextMemoryId++;
    this.port.postMessage({ type: "add", id, module, memory });
    return id;
  }

  /** The helper lets go of a memory (so it can be freed). */
  forget(id: number): void {
    if (!this.closed) this.port.postMessage({ type: "forget", id });
  }

  /**
   * Runs kernel `name` over elements [0, n) of memory `memoryId` in pieces of
   * `pieceElements`, on this thread and the helper. Returns each piece's
   * result, in piece order.
   */
  run(kernels: Kernels, memoryId: number, name: string, n: number, pieceElements: number, args: readonly SplitArg[]): Int32Array {
    // A helper that failed has stopped: its calls run here, whole.
    if (Atomics.load(this.ctl, FAILED)) return Int32Array.of(kernels[name]!(...resolveArgs(args, 0, n)) | 0);
    const pieces = Math.ceil(n / pieceElements);
    if (pieces > MAX_PIECES) throw new RangeError(`${pieces} pieces: at most ${MAX_PIECES}`);
    if (args.length > MAX_ARGS) throw new RangeError(`${args.length} arguments: at most ${MAX_ARGS}`);
    const { ctl } = this;
    Atomics.store(ctl, CLAIM, (this.sequence << 8) | CLOSED);
    ctl[PIECES] = pieces;
    ctl[KERNEL] = this.names.indexOf(name);
    ctl[MEMORY] = memoryId;
    ctl[N] = n;
    ctl[PIECE_ELEMENTS] = pieceElements;
    ctl[ARG_COUNT] = args.length;
    args.forEach((arg, i) => this.encode(i, arg));
    Atomics.store(ctl, DONE, 0);
    this.sequence = (this.sequence + 1) & 0x7fffff;
    Atomics.store(ctl, CLAIM, this.sequence << 8);
    Atomics.notify(ctl, CLAIM);
    try {
      claimPieces(kernels, this.names, ctl, this.args, 0, this.sequence);
    } catch (e) {
      // The helper may still be in a piece of this call: stop sharing rather than wait for it.
      Atomics.store(ctl, CLAIM, (this.sequence << 8) | CLOSED);
      Atomics.store(ctl, FAILED, 1);
      throw e;
    }
    // Every piece is claimed; wait for the ones the helper is finishing.
    for (let done = Atomics.load(ctl, DONE); done < pieces; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, FAILED)) throw new Error(`the kernel helper thread failed in ${name}`);
      Atomics.wait(ctl, DONE, done, 1000);
    }
    return ctl.slice(RESULTS, RESULTS + pieces);
  }

  private encode(i: number, arg: SplitArg): void {
    const at = 3 * i;
    const set = (kind: number, a = 0, b = 0) => {
      this.args[at] = kind;
      this.args[at + 1] = a;
      this.args[at + 2] = b;
    };
    if (arg === "count") set(ARG_COUNT_OF_PIECE);
    else if (arg === "start") set(ARG_START);
    else if (arg === "end") set(ARG_END);
    else if ("value" in arg) set(ARG_VALUE, arg.value);
    else if ("ptr" in arg) set(ARG_PTR, arg.ptr, arg.stride);
    else set(ARG_PER_THREAD, arg.perThread[0], arg.perThread[1]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, EXIT, 1);
    Atomics.notify(this.ctl, CLAIM);
    this.port.close();
    await this.worker.terminate();
  }
}
