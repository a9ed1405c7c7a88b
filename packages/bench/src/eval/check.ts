import {
  isStackedMethod,
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
 * Read and check one `--adapter` folder before anything is evaluated: it must be saved by the
 * installed version of its method (each part's, for a stack), for this base checkpoint (its
 * SHA-256), for a task of the same kind and label count, with params the method still accepts.
 * Every refusal is one line naming the folder and both sides.
 */
export async function checkAdapter(
  dir: string,
  o: { registry: MethodRegistry; model: string; baseSha256: string; task: TaskData; warn: (line: string) => void },
): Promise<CheckedAdapter> {
  const c = await checkAdapterBase(dir, o);
  const labels = o.task.labels.length;
  if (c.config.task.kind !== o.task.kind || c.config.task.numLabels !== labels) {
    throw new UserError(
      `--adapter ${dir}: saved for a ${c.config.task.kind} task with ${c.config.task.numLabels} labels, but --task ${o.task.name} is ${o.task.kind} with ${labels}`,
    );
  }
  return c;
}

/** `checkAdapter` without a task: method installed at the saved version, the same base checkpoint, params that parse (`tunelab generate`). */
export async function checkAdapterBase(
  dir: string,
  o: { registry: MethodRegistry; model: string; baseSha256: string; warn: (line: string) => void },
): Promise<CheckedAdapter> {
  const where = `--adapter ${dir}`;
  let config: AdapterConfigFile;
  try {
    config = await readAdapterConfig(dir);
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
  if (config.baseModelSha256 === undefined)
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
