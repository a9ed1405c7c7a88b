// @tunelab/core/internal: what bench (the CLI, sweeps, reports) uses beyond the public API.
// Internal: no semver promise; plugins use '@tunelab/core' and '@tunelab/core/testing'.
export * from './index.js';
export { checkMethodPlugin, checkUniqueMethods, type UniqueMessages } from './methods/registry.js';
export { STACK_SEPARATOR, isStackId, stackIds, stackListProblems, type StackConfig, type StackListProblem } from './methods/stack.js';
export {
  SINGLE_SOURCE_HOOKS,
  isStackedAdapter,
  stackAdapters,
  stackProblem,
  type StackPart,
  type StackedAdapter,
} from './methods/stack-adapter.js';
export { coerceLists } from './methods/coerce.js';
export { schemaProblem, PROBE_KEY } from './methods/contract.js';
export { checkParamNames } from './methods/probe.js';
export { checkPluginModule, type CheckedPluginModule } from './methods/plugin-module.js';
export { registerFastGradients } from './backend/gradients.js';
export { adapterLine, softwareReason } from './backend/webgpu/gpu-adapter.js';
export { gpuPresence, unusedGpuHint, type GpuPresence } from './backend/webgpu/presence.js';
export { webGpuAdapter, webGpuErrors } from './backend/webgpu/load.js';
export { determinismOf } from './backend/determinism.js';
export { openNvml, nvmlStatus, type NvmlStatus, type NvmlDevice, type NvmlSession } from './backend/webgpu/nvml.js';
export { startDeviceMemory, tfMemory, type DeviceMemory, type DeviceMemorySampler, type TfMemory } from './backend/webgpu/device-memory.js';
export { AdamW, warmupLinearDecay, type AdamWOptions } from './train/adamw.js';
export { SELECT_MODES, DEFAULT_STEPS, DEFAULT_POINTS, resolveBudget, stepsPerEpoch } from './train/config.js';
export { BestTracker, evalSteps, isEvalStep, selectedPoint } from './train/curve.js';
export { checkUniqueTrainers, pickTrainer } from './train/trainer.js';
export { saveTrainState, loadTrainState } from './checkpoint/train-state.js';
export { checkSequenceRoom } from './train/encode.js';
export { READ_LIMITS, readFileChecked, readFileCheckedAsync, utf8Of, type ReadOptions } from './util/read-file.js';
export { isInside, isSafeSegment, joinInside, checkHubRevision } from './util/safe-path.js';
export { adamWStepper, decays, decayedNames, type OptimizerSettings, type Stepper } from './train/optimizer.js';
export { memorySplit, profilePeak } from './train/memory.js';
export { classificationMetrics, taggingMetrics, spans, metricsFor, primaryMetricKey, primaryScore } from './train/metrics.js';
export { answerWords, exactMatch, tokenF1, generationMetrics } from './train/metrics-generation.js';
export { runTrial, type PartCounts, type TrialInputs, type TrialOutcome } from './trial/run.js';
export * from './checkpoint/index.js';
export * from './checkpoint/adapter.js';
export * from './data/index.js';
export * from './families/zoo/index.js';
export * from './families/bert/index.js';
export * from './families/gpt2/index.js';
export * from './families/llama/index.js';
export { hfModelSource, hfModelTypes, HF_FAMILIES } from './hub/source.js';
export type { HfFamily, HfLocated } from './hub/family.js';
export {
  corePackage,
  methodPackageFiles,
  methodTemplateVars,
  METHOD_ID,
  STANDALONE_VERSIONS,
  type MethodLayout,
  type MethodTemplateInput,
  type MethodTemplateVars,
} from './generators/method/templates.js';
export {
  familyPackageFiles,
  familyTemplateVars,
  FAMILY_ID,
  FAMILY_TEMPLATES,
  type FamilyTemplateVars,
} from './generators/family/templates.js';
