export type {
  ConditionalParam,
  Gradient,
  ModelRef,
  ParamSetting,
  Recipe,
  RecipeDType,
  RecipeModel,
  Scalar,
  ScalarOrGradient,
} from "./types";
export {
  CONDITIONAL_KEYS,
  KNOWN_PARAMETER_TYPES,
  MODEL_ENTRY_KEYS,
  RECIPE_KEYS,
  normalizeDType,
  parseRecipe,
  type KnownParamType,
} from "./parse";
export { recipeToYaml } from "./to-yaml";
export { formatModelRef, parseModelRef, sameModelRef } from "./model-ref";
export { countLayers, isPreLayerTensor, layerIndexOf } from "./layers";
export {
  evaluateSetting,
  filterMatches,
  gradientPosition,
  isConditionalList,
  resolveAll,
  resolveModelParameters,
  resolveSetting,
} from "./resolve";
