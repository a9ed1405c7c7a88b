import type { ServiceIdentifier } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import type { ModelSource } from '../contracts/model-source.js';
import type { Trainer } from '../contracts/trainer.js';
import type { ModelRegistry } from '../models/registry.js';
import type { TaskProvider } from '../contracts/task.js';
import type { MethodRegistry } from '../methods/registry.js';
import type { TaskRegistry } from '../tasks/registry.js';

// Typed symbols (cast: an annotated variable would collapse to `symbol`).
/** Multi-bound: every installed fine-tuning method. */
export const METHOD = Symbol.for('@tunelab/core/Method') as ServiceIdentifier<MethodPlugin>;
/** Multi-bound: every named task. */
export const TASK = Symbol.for('@tunelab/core/Task') as ServiceIdentifier<TaskProvider>;
export const METHOD_REGISTRY = Symbol.for('@tunelab/core/MethodRegistry') as ServiceIdentifier<MethodRegistry>;
export const TASK_REGISTRY = Symbol.for('@tunelab/core/TaskRegistry') as ServiceIdentifier<TaskRegistry>;
/** Multi-bound: every model family (`--model` specs), the zoo and Hugging Face among them. */
export const MODEL_SOURCE = Symbol.for('@tunelab/core/ModelSource') as ServiceIdentifier<ModelSource>;
export const MODEL_REGISTRY = Symbol.for('@tunelab/core/ModelRegistry') as ServiceIdentifier<ModelRegistry>;
/** Multi-bound: every training loop; `training.trainer` picks one by id (core binds `adamw`). */
export const TRAINER = Symbol.for('@tunelab/core/Trainer') as ServiceIdentifier<Trainer>;
