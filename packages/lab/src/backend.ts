/**
 * Picks the TensorFlow.js backend. `tfjs-node` (native TensorFlow) is used
 * where it installed; otherwise WebAssembly (the .wasm binaries ship inside
 * `@tensorflow/tfjs-backend-wasm` and are read from node_modules, never
 * downloaded) or the pure-JavaScript CPU backend.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";

export type BackendName = "tensorflow" | "wasm" | "cpu";

const require = createRequire(import.meta.url);
// Loaded at run time only when asked for, never bundled: the native addon may
// be missing (it is an optional dependency) and bundlers cannot pack either.
const NATIVE_PACKAGE = "@tensorflow/tfjs-node";
const WASM_PACKAGE = "@tensorflow/tfjs-backend-wasm";
let wasmRegistered = false;

async function registerWasm(): Promise<void> {
  if (wasmRegistered) return;
  const wasm = (await import(/* webpackIgnore: true */ WASM_PACKAGE)) as typeof import("@tensorflow/tfjs-backend-wasm");
  const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
  // Emscripten reads plain paths with fs in Node (Node's fetch cannot read files).
  wasm.setWasmPaths(dist + "/", false);
  wasmRegistered = true;
}

async function tryNative(): Promise<boolean> {
  try {
    await import(/* webpackIgnore: true */ NATIVE_PACKAGE);
    return tf.findBackend("tensorflow") !== null;
  } catch {
    return false;
  }
}

/**
 * Activates `preferred` (or the fastest available: native TensorFlow, then
 * WebAssembly, then pure JavaScript — on two cores WebAssembly trains 4–8×
 * faster than the JavaScript backend, see the README) and returns its name.
 */
export async function useBackend(preferred?: BackendName): Promise<BackendName> {
  const order: BackendName[] = preferred ? [preferred] : ["tensorflow", "wasm", "cpu"];
  for (const name of order) {
    if (name === "tensorflow" && !(await tryNative())) continue;
    if (name === "wasm") await registerWasm();
    if (await tf.setBackend(name)) {
      await tf.ready();
      return name;
    }
  }
  throw new Error(`TensorFlow.js backend ${preferred ?? "cpu"} is not available`);
}

export { tf };
