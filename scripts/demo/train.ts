/**
 * `pnpm demo:train`: trains the demo foundation, its fine-tunes and task
 * vectors (cached under data/lab/<hash>; instant when nothing changed) and
 * prints their test metrics. `npm start` runs it before seeding.
 */
import { join } from "node:path";
import { DEMO_CONFIG, trainDemo, type DemoModels } from "@graft/lab";
import { scriptEnv } from "../env";

export async function demoModels(log: (line: string) => void = console.log): Promise<DemoModels> {
  return trainDemo(DEMO_CONFIG, { cacheRoot: join(scriptEnv.dataDir, "lab"), log });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const models = await demoModels();
  console.log(`demo models in ${models.dir} (${models.backend} backend, trained in ${models.seconds.toFixed(0)} s)`);
  const suites = Object.keys(models.suites);
  console.log(["model", ...suites].join("\t"));
  for (const [model, m] of Object.entries(models.metrics)) {
    console.log([model, ...suites.map((s) => `${m[s]!.accuracy.toFixed(1)}% ${m[s]!.bitsPerChar.toFixed(3)}bpc`)].join("\t"));
  }
}
