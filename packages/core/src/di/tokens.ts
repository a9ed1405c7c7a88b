import type { ServiceIdentifier } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import type { ModelSource } from '../contracts/model-source.js';
import type { TaskProvider } from '../contracts/task.js';
import type { Trainer } from '../contracts/trainer.js';

// Typed symbols (cast: an annotated variable would collapse to `symbol`). Every extension point is
// multi-bound; a plugin's `containerModule` may bind more of any of them.
/** Multi-bound: every installed fine-tuning method. */
export const METHOD = Symbol.for('@tunelab/core/Method') as ServiceIdentifier<MethodPlugin>;
/** Multi-bound: every named task (the WordNet tasks, and any a plugin binds). */
export const TASK = Symbol.for('@tunelab/core/Task') as ServiceIdentifier<TaskProvider>;
/** Multi-bound: every model family (`--model` specs), the zoo and Hugging Face among them. */
export const MODEL_SOURCE = Symbol.for('@tunelab/core/ModelSource') as ServiceIdentifier<ModelSource>;
/** Multi-bound: every training loop; `training.trainer` picks one by id (core binds `adamw`). */
export const TRAINER = Symbol.for('@tunelab/core/Trainer') as ServiceIdentifier<Trainer>;
