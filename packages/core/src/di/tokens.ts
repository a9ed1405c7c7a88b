import type { ServiceIdentifier } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
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
