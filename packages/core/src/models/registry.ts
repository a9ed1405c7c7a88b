import type { ModelSource } from '../contracts/model-source.js';
import { UserError } from '../util/errors.js';

/** Every model source of a run; a `--model` spec goes to the first that accepts it. */
export class ModelRegistry {
  constructor(readonly sources: readonly ModelSource[]) {
    const seen = new Set<string>();
    for (const s of sources) {
      if (seen.has(s.id)) throw new UserError(`model source '${s.id}' is registered twice`);
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
