/**
 * Magnitude statistics of a task vector (global L2, max |x|, per-tensor L2),
 * computed one tensor at a time at publish: cheap previews of how strongly a
 * vector moves the foundation, and a guard against NaN/Inf deltas.
 */
import type { TaskVectorReader } from "@graft/merge";
import { DomainError } from "../../errors";

export interface NormStats {
  l2: number;
  maxAbs: number;
  perTensor: Record<string, number>;
}

/** `onDelta` sees each (finite) delta too, so other per-version summaries share this one read. */
export async function computeNormStats(
  tv: Pick<TaskVectorReader, "coveredTensors" | "readDelta">,
  onDelta?: (name: string, delta: Float32Array) => void,
): Promise<NormStats> {
  let sumSq = 0;
  let maxAbs = 0;
  const perTensor: Record<string, number> = {};
  for (const name of tv.coveredTensors) {
    const delta = await tv.readDelta(name);
    if (!delta) continue;
    let t = 0;
    for (let i = 0; i < delta.length; i++) {
      const x = delta[i];
      if (!Number.isFinite(x)) throw new DomainError("INVALID", `the task vector has a non-finite value (${x}) in tensor "${name}" at element ${i}`);
      t += x * x;
      const ax = Math.abs(x);
      if (ax > maxAbs) maxAbs = ax;
    }
    perTensor[name] = Math.sqrt(t);
    onDelta?.(name, delta);
    sumSq += t;
  }
  return { l2: Math.sqrt(sumSq), maxAbs, perTensor };
}
