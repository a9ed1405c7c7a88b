import type { ModelSource } from '../contracts/model-source.js';
import type { TaskData, TaskProvider } from '../contracts/task.js';
import type { Trainer } from '../contracts/trainer.js';
import { loadUserFileTask } from '../data/file-task.js';
import { loadHubDatasetTask } from '../data/hub/load.js';
import { HF_DATASET_PREFIX } from '../data/hub/spec.js';
import { checkUniqueTrainers, pickTrainer } from '../train/trainer.js';
import { UserError } from '../util/errors.js';

/** Every model family of a run; a `--model` spec goes to the first that accepts it. */
export class ModelRegistry {
  constructor(readonly sources: readonly ModelSource[]) {
    const seen = new Set<string>();
    for (const s of sources) {
      if (seen.has(s.id)) throw new UserError(`model source '${s.id}' is registered twice; give one of them another id`);
      seen.add(s.id);
    }
  }

  source(spec: string, flag = '--model'): ModelSource {
    const s = this.sources.find((x) => x.accepts(spec));
    if (s === undefined) {
      throw new UserError(`${flag}: unknown model '${spec}'; known: ${this.sources.flatMap((x) => x.forms()).join(', ')}`);
    }
    return s;
  }
}

export const FILE_TASK_PREFIX = 'file:';

/** Every named task of a run (built-in and plugins'), and `file:<path>` for a user's data. */
export class TaskRegistry {
  private readonly byName = new Map<string, TaskProvider>();

  constructor(tasks: readonly TaskProvider[]) {
    for (const t of tasks) {
      if (this.byName.has(t.name)) throw new UserError(`task '${t.name}' is registered twice`);
      this.byName.set(t.name, t);
    }
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): TaskProvider[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  has(name: string): boolean {
    return name.startsWith(FILE_TASK_PREFIX) || name.startsWith(HF_DATASET_PREFIX) || this.byName.has(name);
  }

  get(name: string, flag = '--task'): TaskProvider {
    const t = this.byName.get(name);
    if (!t)
      throw new UserError(
        `${flag}: unknown task '${name}'; available: ${this.names().join(', ')}, or file:<path to train.jsonl|csv|tsv|conll>, or hf-dataset:<org/name>[:config][@revision]`,
      );
    return t;
  }

  /** A named task's data, a user's file (`file:<path>`, relative to `cwd`), or a hub dataset in the local hub cache (`hf-dataset:<id>`). */
  async load(name: string, cacheDir: string, cwd: string = process.cwd()): Promise<TaskData> {
    if (name.startsWith(FILE_TASK_PREFIX)) return loadUserFileTask(name.slice(FILE_TASK_PREFIX.length), cwd);
    if (name.startsWith(HF_DATASET_PREFIX)) return loadHubDatasetTask(name);
    return this.get(name).load({ cacheDir });
  }
}

/** The training loops of a run by id; `training.trainer` picks one. */
export class TrainerRegistry {
  constructor(readonly trainers: readonly Trainer[]) {
    checkUniqueTrainers(trainers);
  }

  ids(): string[] {
    return this.trainers.map((t) => t.id);
  }

  get(id: string): Trainer {
    return pickTrainer(this.trainers, id);
  }
}
