/**
 * Plain-language verdicts for interference figures. The thresholds are fixed
 * and documented here (and copied into every report) so a buyer can see why a
 * pair was called what it was called:
 *
 *   conflicting   cosine < −0.30, or sign conflicts > 0.40 of the shared
 *                 top-k positions while overlap > 0.30
 *                 → "use ties / dare_ties or reduce weights"   (method: ties)
 *   aligned       cosine > 0.30
 *                 → "may double-count, lower weights"          (method: task_arithmetic, weights ≈ 1/n)
 *   independent   |cosine| < 0.05, and either overlap ≤ 0.30 or sign
 *                 conflicts ≤ 0.20
 *                 → "safe to add"                              (method: task_arithmetic, weight 1)
 *   partial       anything else (0.05 ≤ |cosine| ≤ 0.30, or heavy overlap
 *                 with moderate sign conflicts)
 *                 → "some interference: add with weights < 1, or ties"  (method: ties)
 *
 * The rules are tried in that order, so a pair that is both strongly aligned
 * and heavily sign-conflicted is reported as conflicting. For scale: two
 * unrelated random vectors have cosine ≈ 0, overlap ≈ topFraction (0.2 by
 * default: masks meet by chance) and sign conflicts ≈ 0.5 — "independent".
 *
 * The overall verdict is the most severe pair verdict (conflicting > aligned >
 * partial > independent), and its recommended method follows it.
 */

export type VerdictLevel = "independent" | "partial" | "aligned" | "conflicting";

export const INTERFERENCE_THRESHOLDS = Object.freeze({
  /** |cosine| below this counts as orthogonal. */
  independentCosine: 0.05,
  /** cosine above this: the vectors push the same way. */
  alignedCosine: 0.3,
  /** cosine below this: the vectors undo each other. */
  opposedCosine: -0.3,
  /** Sign-conflict rate above this (with overlap above `overlapHigh`): conflicting. */
  conflictHigh: 0.4,
  /** Top-k mask overlap above this counts as heavy sharing of parameters. */
  overlapHigh: 0.3,
  /** Sign-conflict rate at or below this counts as low. */
  conflictLow: 0.2,
});

export type InterferenceThresholds = typeof INTERFERENCE_THRESHOLDS;

/** The figures a verdict is made from. */
export interface VerdictInput {
  cosine: number;
  /** Shared top-k positions relative to the mask size. */
  overlap: number;
  /** Fraction of the shared top-k positions where the signs differ. */
  signConflictRate: number;
}

export interface Verdict {
  level: VerdictLevel;
  /** One line of plain language. */
  message: string;
  /** A `merge_method` name of the recipe format. */
  recommendedMethod: "task_arithmetic" | "ties";
}

const SEVERITY: Record<VerdictLevel, number> = { independent: 0, partial: 1, aligned: 2, conflicting: 3 };

export function verdictSeverity(level: VerdictLevel): number {
  return SEVERITY[level];
}

export function classifyInterference(f: VerdictInput, t: InterferenceThresholds = INTERFERENCE_THRESHOLDS): Verdict {
  const opposed = f.cosine < t.opposedCosine;
  const signClash = f.signConflictRate > t.conflictHigh && f.overlap > t.overlapHigh;
  if (opposed || signClash) {
    return {
      level: "conflicting",
      message: opposed
        ? "conflicting: the vectors point in opposite directions; use ties/dare_ties or reduce weights"
        : "conflicting: they move the same parameters in opposite directions; use ties/dare_ties or reduce weights",
      recommendedMethod: "ties",
    };
  }
  if (f.cosine > t.alignedCosine) {
    return {
      level: "aligned",
      message: "aligned: may double-count, lower weights (e.g. 1/n each)",
      recommendedMethod: "task_arithmetic",
    };
  }
  if (Math.abs(f.cosine) < t.independentCosine && (f.overlap <= t.overlapHigh || f.signConflictRate <= t.conflictLow)) {
    return { level: "independent", message: "independent: safe to add", recommendedMethod: "task_arithmetic" };
  }
  return {
    level: "partial",
    message: "partial interference: add with weights below 1, or use ties if quality drops",
    recommendedMethod: "ties",
  };
}

/** The overall verdict from the pair verdicts: the most severe one, worded for the whole set. */
export function overallVerdict(pairs: readonly { label: string; verdict: Verdict }[]): Verdict & { pairs: string[] } {
  let worst: VerdictLevel = "independent";
  for (const p of pairs) if (SEVERITY[p.verdict.level] > SEVERITY[worst]) worst = p.verdict.level;
  const involved = pairs.filter((p) => p.verdict.level === worst).map((p) => p.label);
  const which = pairs.length === 1 ? "" : ` (${involved.length === pairs.length ? "all pairs" : involved.join(", ")})`;
  switch (worst) {
    case "independent":
      return {
        level: worst,
        message: "independent: the vectors move different parameters; safe to add with task_arithmetic at full weight",
        recommendedMethod: "task_arithmetic",
        pairs: involved,
      };
    case "aligned":
      return {
        level: worst,
        message: `aligned${which}: the skills overlap and may double-count; use task_arithmetic with weights summing to about 1`,
        recommendedMethod: "task_arithmetic",
        pairs: involved,
      };
    case "partial":
      return {
        level: worst,
        message: `partial interference${which}: use ties, or task_arithmetic with weights below 1`,
        recommendedMethod: "ties",
        pairs: involved,
      };
    case "conflicting":
      return {
        level: worst,
        message: `conflicting${which}: the skills will collide; use ties or dare_ties, or reduce weights`,
        recommendedMethod: "ties",
        pairs: involved,
      };
  }
}
