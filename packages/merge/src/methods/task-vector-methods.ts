/**
 * The nine task-vector methods as rows of one table over the generalized
 * task arithmetic kernel — the same table as mergekit's registry.py
 * (consensus, sparsifier, default normalize, default rescale).
 *
 * Why it exists: so that adding or auditing a variant means reading one row,
 * not a copy of the algorithm.
 */
import { createGtaMethod, type GtaMethodRow } from "./generalized-task-arithmetic";
import type { GraftMergeMethod } from "./kernel";

export const TASK_VECTOR_METHOD_TABLE: readonly GtaMethodRow[] = [
  {
    name: "task_arithmetic",
    description: "Task Arithmetic (arXiv 2212.04089): base + lambda * sum of weighted task vectors",
    consensus: null,
    sparsification: null,
    defaultNormalize: false,
    defaultRescale: false,
  },
  {
    name: "ties",
    description: "TIES (arXiv 2306.01708): magnitude trim, sign election by mass, mean over agreeing models",
    consensus: "sum",
    sparsification: "magnitude",
    defaultNormalize: true,
    defaultRescale: false,
  },
  {
    name: "dare_linear",
    description: "DARE (arXiv 2311.03099): random drop with rescale, then weighted sum",
    consensus: null,
    sparsification: "random",
    defaultNormalize: false,
    defaultRescale: true,
  },
  {
    name: "dare_ties",
    description: "DARE drop with rescale, then TIES sign election",
    consensus: "sum",
    sparsification: "random",
    defaultNormalize: false,
    defaultRescale: true,
  },
  {
    name: "breadcrumbs",
    description: "Model Breadcrumbs (arXiv 2312.06795): drop the largest (gamma) and smallest magnitudes",
    consensus: null,
    sparsification: "magnitude_outliers",
    defaultNormalize: false,
    defaultRescale: false,
  },
  {
    name: "breadcrumbs_ties",
    description: "Model Breadcrumbs sparsification with TIES sign election",
    consensus: "sum",
    sparsification: "magnitude_outliers",
    defaultNormalize: false,
    defaultRescale: false,
  },
  {
    name: "della",
    description: "DELLA (arXiv 2406.11617): magnitude-rank sampling, rescale, TIES sign election",
    consensus: "sum",
    sparsification: "della_magprune",
    defaultNormalize: true,
    defaultRescale: true,
  },
  {
    name: "della_linear",
    description: "DELLA sampling and rescale without sign election",
    consensus: null,
    sparsification: "della_magprune",
    defaultNormalize: false,
    defaultRescale: true,
  },
];

export const TASK_VECTOR_METHODS: readonly GraftMergeMethod[] = TASK_VECTOR_METHOD_TABLE.map(createGtaMethod);
