import { resolve } from 'node:path';
import {
  isStackedMethod,
  kindsOfTaskType,
  isUserError,
  readAdapterConfig,
  UserError,
  type AdapterConfigFile,
  type MethodPlugin,
  type MethodRegistry,
  type TaskData,
} from '@tunelab/core/internal';

/** A saved adapter that fits the loaded base, the installed methods and the task. */
export interface CheckedAdapter {
  dir: string;
  config: AdapterConfigFile;
  method: MethodPlugin;
  /** the saved params, parsed (and defaulted) by the installed method's schema */
  params: Record<string, unknown>;
}

const short = (sha: string) => `${sha.slice(0, 12)}…`;

/** The saved method's parts next to the installed ones: the first whose version (or package) differs. */
function versionProblem(config: AdapterConfigFile, method: MethodPlugin): string | null {
  const saved = config.methods ?? [config.method];
  const here = isStackedMethod(method) ? method.parts.map((p) => p.meta) : [method.meta];
  for (const [i, s] of saved.entries()) {
    const h = here[i];
    if (h === undefined) continue;
    if (s.packageName !== h.packageName || s.version !== h.version) {
      return `it was saved by method '${s.id}' ${s.packageName}@${s.version}, but ${h.packageName}@${h.version} is installed; install ${s.packageName}@${s.version} (parameters can change meaning between versions)`;
    }
  }
  return null;
}

/**
 * An adapter PEFT trained names its base by `base_model_name_or_path` (a hub id or a folder): it
 * must be the `--model` given (`hf:<id>`, the folder, or where the model was read from).
 */
function checkPeftBase(
  where: string,
  peft: Record<string, unknown>,
  o: { model: string; source?: string; warn: (line: string) => void },
): void {
  const base = peft.base_model_name_or_path;
  if (typeof base !== 'string' || base === '') {
    o.warn(`warning: ${where}: its PEFT config names no base_model_name_or_path; it is assumed to fit --model ${o.model}`);
    return;
  }
  const norm = (s: string) => s.replace(/^hf:/, '').replace(/@.*$/, '').replace(/\/+$/, '');
  const ours = [o.model, o.source].filter((s): s is string => s !== undefined).map(norm);
  const same = ours.some((s) => s === norm(base) || resolve(s) === resolve(norm(base)));
  if (!same) {
    throw new UserError(
      `${where}: a PEFT adapter for base model '${base}', but --model is ${o.model}${o.source && norm(o.source) !== norm(o.model) ? ` (${o.source})` : ''}; evaluate it on the base it was trained on`,
    );
  }
}

/**
 * Read and check one `--adapter` folder before anything is evaluated: it must be saved by the
 * installed version of its method (each part's, for a stack), for this base checkpoint (its
 * SHA-256), for a task of the same kind and label count, with params the method still accepts.
 * Every refusal is one line naming the folder and both sides.
 */
export async function checkAdapter(
  dir: string,
  o: {
    registry: MethodRegistry;
    model: string;
    baseSha256: string;
    source?: string;
    flag?: string;
    task: TaskData;
    warn: (line: string) => void;
  },
): Promise<CheckedAdapter> {
  const c = await checkAdapterBase(dir, o);
  const labels = o.task.labels.length;
  const peft = c.config.peft;
  if (peft && !peft.extras) {
    // an adapter PEFT trained: SEQ_CLS stands for classification and pairs alike
    const kinds = kindsOfTaskType(peft.config.task_type) ?? [];
    const n = c.config.task.numLabels;
    if (!kinds.includes(o.task.kind) || (n !== -1 && n !== labels)) {
      throw new UserError(
        `${o.flag ?? '--adapter'} ${dir}: a PEFT ${String(peft.config.task_type)} adapter${n !== -1 ? ` with ${n} labels` : ''}, but --task ${o.task.name} is ${o.task.kind} with ${labels}`,
      );
    }
    return { ...c, config: { ...c.config, task: { kind: o.task.kind, numLabels: labels } } };
  }
  if (c.config.task.kind !== o.task.kind || c.config.task.numLabels !== labels) {
    throw new UserError(
      `${o.flag ?? '--adapter'} ${dir}: saved for a ${c.config.task.kind} task with ${c.config.task.numLabels} labels, but --task ${o.task.name} is ${o.task.kind} with ${labels}`,
    );
  }
  return c;
}

/** `checkAdapter` without a task: method installed at the saved version, the same base checkpoint, params that parse (`tunelab generate`). */
export async function checkAdapterBase(
  dir: string,
  o: { registry: MethodRegistry; model: string; baseSha256: string; source?: string; flag?: string; warn: (line: string) => void },
): Promise<CheckedAdapter> {
  const where = `${o.flag ?? '--adapter'} ${dir}`;
  let config: AdapterConfigFile;
  try {
    config = await readAdapterConfig(dir, o.registry.all());
  } catch (e) {
    throw isUserError(e) ? new UserError(`${where}: ${e.message}`) : e;
  }
  if (!o.registry.has(config.method.id)) {
    throw new UserError(
      `${where}: saved by method '${config.method.id}' (${config.method.packageName}), which is not installed here; pass --plugin ${config.method.packageName}`,
    );
  }
  const method = o.registry.get(config.method.id);
  const problem = versionProblem(config, method);
  if (problem) throw new UserError(`${where}: ${problem}`);
  if (config.baseModelSha256 === undefined && config.peft) checkPeftBase(where, config.peft.config, o);
  else if (config.baseModelSha256 === undefined)
    o.warn(`warning: ${where}: its adapter_config.json records no base checkpoint hash; it is assumed to fit --model ${o.model}`);
  else if (config.baseModelSha256 !== o.baseSha256) {
    throw new UserError(
      `${where}: saved for base checkpoint ${short(config.baseModelSha256)}, but --model ${o.model} is ${short(o.baseSha256)}; evaluate it on the base it was trained on`,
    );
  }
  let params: Record<string, unknown>;
  try {
    params = o.registry.parseParams(config.method.id, config.params);
  } catch (e) {
    throw isUserError(e) ? new UserError(`${where}: saved params no longer parse: ${e.message}`) : e;
  }
  return { dir, config, method, params };
}
