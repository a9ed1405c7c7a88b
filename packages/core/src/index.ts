// The public API of @tunelab/core: the contracts, the run environment (DI), the building blocks of
// model families, the families core ships, the training loop, and the helpers plugins need.
// Everything else bench uses comes through '@tunelab/core/internal' (no stability promise).
export * from './contracts/index.js';
export { UserError, isUserError, withPrefix, type UserErrorCode, type UserErrorOptions } from './util/errors.js';
export { canonicalJson, sha256 } from './util/hash.js';
export { createRng, restoreRng, rngStreams, shuffle } from './util/rng.js';
export { selectBackend, type SelectOptions } from './backend/select.js';
export { formatZodError, formatPath } from './util/zod.js';
export { CORE_VERSION, RESULTS_VERSION, readPackageVersion } from './version.js';

// the run environment: one container per process, every extension point resolved from it
export { METHOD, TASK, MODEL_SOURCE, TRAINER } from './di/tokens.js';
export { createContainer, createEnvironment, environmentOf, type ContainerOptions, type RunEnvironment } from './di/container.js';
export { ModelRegistry, TaskRegistry, TrainerRegistry, FILE_TASK_PREFIX } from './di/registries.js';
export { MethodRegistry } from './methods/registry.js';
export { applyMethod } from './methods/apply.js';
export { stackMethods, isStackedMethod, type StackedMethod } from './methods/stack.js';
export { CONTAINER_MODULE_EXPORT, type MethodPluginModule } from './methods/plugin-module.js';

// building blocks of a model family (docs/families.md)
export * from './model/index.js';
export * from './memory/index.js';
// the families core ships
export { zooModelSource, Encoder, zooShape, encoderParamCount, initEncoderParams, type EncoderConfig } from './families/zoo/index.js';
export { HfEncoder, parseHfConfig, encoderShape, loadHuggingFace, type HfConfig } from './families/bert/index.js';
export { hubCacheDir, resolveHubId, type HubSnapshot } from './hub/cache.js';
export { hubRepoDir, parseHubRef, pullCommand, resolveHubSnapshot, type HubRef, type HubRepoKind } from './hub/repo.js';
export { hfTokenizer, wordPieceJson, type HfTokenizer, type HfTokenizerInfo } from './hub/tokenizer.js';
export { hfModelSource, hfModelTypes, HF_FAMILIES } from './hub/source.js';
export { readGenerationInfo, renderChat, type ChatMessage } from './hub/generation.js';
export type { HfFamily, HfLocated } from './hub/family.js';
export { Gpt2Decoder, loadGpt2, parseGpt2Config, type Gpt2Config } from './families/gpt2/index.js';
export { LlamaDecoder, loadLlama, parseLlamaConfig, type LlamaConfig } from './families/llama/index.js';
export { readSafetensorsFile, readJsonFile, sha256File } from './checkpoint/io.js';
export {
  saveAdapter,
  loadAdapterWeights,
  readAdapterConfig,
  ADAPTER_WEIGHTS,
  ADAPTER_CONFIG,
  type AdapterConfigFile,
} from './checkpoint/adapter.js';

// training: the default trainer's loop and its parts
export { train, trainableParamMap } from './train/loop.js';
export { adamWTrainer } from './train/trainer.js';
export { trainingSchema, TRAINING_KEYS, type TrainingConfig, type TrainingInput } from './train/config.js';
export { crossEntropy } from './train/loss.js';
export { encodeSplit, makeBatch, disposeBatch, IGNORE, type Batch } from './train/encode.js';
export { predict, score, evaluate, type Predictions } from './train/evaluate.js';
