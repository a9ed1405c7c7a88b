import type { Head } from '../contracts/model.js';
import type { Backbone } from '../contracts/model.js';
import type { MethodPlugin, PeftKey } from '../contracts/method.js';
import type { TaskKind } from '../contracts/task.js';
import { UserError } from '../util/errors.js';

export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';

/** PEFT's prefix of every key it saves: the PeftModel's `base_model` (a tuner) wrapping the transformers `model`. */
export const PEFT_KEY_PREFIX = 'base_model.model.';

/** tunelab's own extras beside a PEFT adapter (method, version, params, task, base SHA-256): PEFT ignores the file. */
export const PEFT_EXTRAS = 'tunelab_adapter.json';

/** PEFT's `task_type` of a task kind. */
export function peftTaskType(kind: TaskKind): string {
  return kind === 'tagging' ? 'TOKEN_CLS' : kind === 'generation' ? 'CAUSAL_LM' : 'SEQ_CLS';
}

/** The task kinds a PEFT `task_type` can stand for (SEQ_CLS: classification and pair), or undefined for one tunelab has no head for. */
export function kindsOfTaskType(taskType: unknown): TaskKind[] | undefined {
  if (taskType === 'SEQ_CLS') return ['classification', 'pair'];
  if (taskType === 'TOKEN_CLS') return ['tagging'];
  if (taskType === 'CAUSAL_LM') return ['generation'];
  return undefined;
}

/**
 * The transformers module of a head linear `head.<name>` on this model, as PEFT's
 * `modules_to_save` holds it: RoBERTa's `dense`/`out_proj` sit in `classifier`; a decoder's
 * `score` is `score`; a per-token `classifier` is `classifier` (BERT, RoBERTa, GPT-2's
 * `*ForTokenClassification`), except on the Llama family (`model.` modules), whose token head is `score`.
 */
function headModule(name: string, model: Backbone): string {
  if (name === 'dense' || name === 'out_proj') return `classifier.${name}`;
  if (name === 'classifier' && model.shape.causal) {
    const first = Object.values(model.shape.layerModules ?? {})[0] ?? '';
    if (first.startsWith('model.')) return 'score';
  }
  return name;
}

/** The head's parameters under their PEFT keys (torch layout: 2-D weights transposed), and the modules to save. */
export function peftHeadKeys(head: Pick<Head, 'params'>, model: Backbone): { keys: PeftKey[]; modules: string[] } {
  const keys: PeftKey[] = [];
  const modules = new Set<string>();
  for (const [param, v] of head.params) {
    const m = /^head\.(.+)\.(weight|bias)$/.exec(param);
    if (m === null) throw new Error(`head parameter '${param}' has no PEFT key`);
    const module = headModule(m[1]!, model);
    modules.add(module.split('.')[0]!);
    keys.push({ param, key: `${module}.${m[2]}`, transpose: v.shape.length === 2 });
  }
  return { keys, modules: [...modules] };
}

/** What `train --save` writes in PEFT's format: the config and every saved tensor's key. */
export interface PeftForm {
  config: Record<string, unknown>;
  keys: PeftKey[];
}

/**
 * The PEFT form of an adapter of `method` with `params` on `model` with `head`, or a reason why
 * there is none (the method has no PEFT mapping, the model no transformers module paths).
 */
export function peftForm(
  method: MethodPlugin,
  params: Record<string, unknown>,
  model: Backbone,
  head: Head,
  base: { name?: string; revision?: string },
): PeftForm | string {
  if (method.peft === undefined) return `method '${method.meta.id}' has no PEFT counterpart`;
  if (model.shape.layerModules === undefined) return 'the model has no transformers module paths (a zoo model)';
  const own = method.peft.config(params, model);
  if (own === undefined) return `PEFT cannot express this ${method.meta.id} config on this model`;
  const h = peftHeadKeys(head, model);
  const config = {
    peft_type: method.peft.peftType,
    task_type: peftTaskType(head.kind),
    base_model_name_or_path: base.name ?? null,
    revision: base.revision ?? null,
    inference_mode: true,
    ...own,
    modules_to_save: h.modules.length > 0 ? h.modules : null,
  };
  return { config, keys: [...method.peft.keys(params, model), ...h.keys] };
}

/** The installed method for a PEFT config's `peft_type`; a type none implements is a one-line UserError naming it. */
export function methodForPeftType(peftType: unknown, methods: readonly MethodPlugin[], where: string): MethodPlugin {
  const found = methods.find((m) => m.peft?.peftType === peftType);
  if (found) return found;
  const known = methods.flatMap((m) => (m.peft ? [m.peft.peftType] : []));
  throw new UserError(
    `${where}: PEFT adapter type ${JSON.stringify(peftType)} is not one tunelab implements (it reads ${known.join(', ') || 'none'})`,
  );
}
