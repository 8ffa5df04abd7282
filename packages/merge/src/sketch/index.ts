/** Publish-time sketches of task vectors and interference estimated from them. */
export { SketchBuilder, decodeSampleCodes, sketchTaskVector, tensorSeed, SKETCH_DIMS, SKETCH_SAMPLES, SKETCH_VERSION, type VectorSketch, type LayerStats } from "./sketch";
export { estimateInterference, type EstimatedInterference, type EstimatedPair } from "./estimate";
