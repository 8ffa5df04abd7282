/**
 * Real recipes as mergekit users write them (mergekit README / examples and
 * widely shared model cards), used by the tests.
 */

/** mergekit README / examples/ties.yml (original version). */
export const TIES = `models:
  - model: psmathur/orca_mini_v3_13b
    parameters:
      density: [1, 0.7, 0.1] # density gradient
      weight: 1.0
  - model: garage-bAInd/Platypus2-13B
    parameters:
      density: 0.5
      weight: [0, 0.3, 0.7, 1] # weight gradient
  - model: WizardLM/WizardMath-13B-V1.0
    parameters:
      density: 0.33
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: TheBloke/Llama-2-13B-fp16
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`;

/** mlabonne/Daredevil-7B: the base model listed without parameters. */
export const DARE_TIES = `models:
  - model: mistralai/Mistral-7B-v0.1
    # No parameters necessary for base model
  - model: samir-fama/SamirGPT-v1
    parameters:
      density: 0.53
      weight: 0.4
  - model: abacusai/Slerp-CM-mist-dpo
    parameters:
      density: 0.53
      weight: 0.3
  - model: EmbeddedLLM/Mistral-7B-Merge-14-v0.2
    parameters:
      density: 0.53
      weight: 0.3
merge_method: dare_ties
base_model: mistralai/Mistral-7B-v0.1
parameters:
  int8_mask: true
dtype: bfloat16
`;

/**
 * mergekit README slerp example, in its "equivalent models: syntax" form
 * (the README shows it with slices, which Graft refuses).
 */
export const SLERP = `models:
  - model: psmathur/orca_mini_v3_13b
  - model: garage-bAInd/Platypus2-13B
merge_method: slerp
base_model: psmathur/orca_mini_v3_13b
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5 # fallback for rest of tensors
dtype: float16
`;

/** The same recipe exactly as the README prints it, with slices. */
export const SLERP_SLICES = `slices:
  - sources:
      - model: psmathur/orca_mini_v3_13b
        layer_range: [0, 40]
      - model: garage-bAInd/Platypus2-13B
        layer_range: [0, 40]
merge_method: slerp
base_model: psmathur/orca_mini_v3_13b
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
dtype: float16
`;

/** Task arithmetic with a negative weight: subtracting a task vector. */
export const TASK_ARITHMETIC_NEGATIVE = `merge_method: task_arithmetic
base_model: meta-llama/Llama-2-7b-hf
models:
  - model: meta-llama/Llama-2-7b-chat-hf
    parameters:
      weight: 1.0
  - model: someone/llama-2-7b-toxic
    parameters:
      weight: -0.5
parameters:
  normalize: false
dtype: bfloat16
`;
