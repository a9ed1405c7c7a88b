export { loadWordNet, wordnetDbVersion, LEX_FILE_NAMES, WORDNET_POS, type Synset, type WordNet, type WordNetPos } from './wordnet.js';
export { builtinTasks, taskCacheFile, TASK_BUILD_VERSION } from './tasks/index.js';
export { buildSupersenseTask, SUPERSENSE_TASK } from './tasks/supersense.js';
export { buildWicTask, WIC_TASK, WIC_LABELS } from './tasks/wic.js';
export { buildTruecaseTask, TRUECASE_TASK, TRUECASE_LABELS, TRUECASE_MAX_WORDS } from './tasks/truecase.js';
export { DEFAULT_SPLIT_SIZES, taskHash, type SplitSizes } from './tasks/splits.js';
export { pretrainingCorpus, buildPretrainingCorpus, type PretrainingCorpus } from './corpus.js';
export { trainWordPiece, loadTokenizer, createWordPiece, basicTokenize, normalizeText, SPECIAL_TOKENS } from './wordpiece.js';
export { loadFileTask } from './loaders.js';
export { loadHubDatasetTask } from './hub/load.js';
export {
  HF_DATASET_PREFIX,
  HF_DATASET_ALIASES,
  parseHubDatasetSpec,
  withDatasetOptions,
  type HubDatasetSpec,
  type ColumnRole,
} from './hub/spec.js';
export { loadUserFileTask } from './file-task.js';
