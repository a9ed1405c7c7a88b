import type { TaskProvider } from '../contracts/task.js';
import { UserError } from '../util/errors.js';

/** Named tasks; `file:<path>` tasks are resolved by the loader, not registered. */
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

  get(name: string): TaskProvider {
    const t = this.byName.get(name);
    if (!t) throw new UserError(`--task: unknown task '${name}'; available: ${this.names().join(', ')}, or file:<path to train.jsonl|csv|tsv|conll>`);
    return t;
  }
}
