/**
 * `pnpm bench:tfjs-backends`: time per training step of the demo model on
 * every TensorFlow.js backend that loads here (native TensorFlow through
 * tfjs-node where it installed, WebAssembly, pure JavaScript). The fastest
 * available one is what `useBackend()` picks by default.
 */
import { DEMO_CONFIG, initWeights, loadCorpus, modelConfig, train, useBackend, type BackendName } from "@graft/lab";

const config = modelConfig(DEMO_CONFIG);
const text = loadCorpus("names", DEMO_CONFIG.data).splits.train;
const steps = 20;
console.log(`| backend | ms per step (batch ${DEMO_CONFIG.foundation.batch}, ${steps} steps after 3 warm-up) |`);
console.log("|---|---|");
for (const name of ["tensorflow", "wasm", "cpu"] as BackendName[]) {
  try {
    await useBackend(name);
  } catch {
    console.log(`| ${name} | not available here |`);
    continue;
  }
  const options = { batch: DEMO_CONFIG.foundation.batch, learningRate: 1e-3, seed: 1 };
  await train(config, initWeights(config, 1), text, { ...options, steps: 3 });
  const started = performance.now();
  await train(config, initWeights(config, 1), text, { ...options, steps });
  console.log(`| ${name} | ${((performance.now() - started) / steps).toFixed(1)} |`);
}
