import {
  READ_LIMITS,
  readFileChecked,
  RESULTS_VERSION,
  UserError,
  selectBackend,
  type BackendChoice,
  type Zoo,
} from '@tunelab/core/internal';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment, trialEnv } from '../environment.js';
import { flagPlugins, type PluginRequest } from '../methods.js';
import { trialIdOf, type TrialRecord, type TrialSpec } from '../records/index.js';
import { executeTrial, sourceContext, type TrialEnv } from '../trial/index.js';
import { describeTolerance, environmentProblems, outcomeDifferences, toleranceFor } from './compare.js';
import { chooseTrials, readVerifiable } from './select.js';

export interface VerifyOptions {
  dirs: string[];
  trials?: string[];
  sample?: number;
  seed: number;
  /** 'auto' re-runs on the backend the records name */
  backend: string;
  threads?: number;
  /** --plugin specs, resolved from the working directory */
  plugins: string[];
  zoo: Zoo;
  cache: string;
  log: (line: string) => void;
}

export interface VerifyResult {
  checked: number;
  identical: number;
  /** trialId -> differences */
  differences: Map<string, string[]>;
  /** on GPU backends: the tolerance the comparison used, in words (absent: bit for bit) */
  tolerance?: string;
}

/**
 * Plugin modules a sweep loaded (from its manifest), so its records can be re-run without flags:
 * the resolved module file where the manifest has it, else the spec as given (resolved from the
 * results folder).
 */
function manifestPlugins(dir: string): PluginRequest[] {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return [];
  try {
    const m = JSON.parse(readFileChecked(file, { what: 'manifest', maxBytes: READ_LIMITS.json }).toString('utf8')) as {
      plugins?: unknown;
      versions?: { methods?: Record<string, { from?: string; path?: string; builtin?: boolean }> };
    };
    // every plugin module (manifests since `plugins`: families and tasks too), else the methods'
    if (Array.isArray(m.plugins))
      return m.plugins.filter((p): p is string => typeof p === 'string').map((spec) => ({ spec, base: dir, where: `${file} (plugins)` }));
    return Object.values(m.versions?.methods ?? {})
      .filter((x) => x.builtin !== true && typeof x.from === 'string' && !x.from.startsWith('@tunelab/method-'))
      .map((x) => ({ spec: x.path ?? x.from!, base: dir, where: `${file} (versions.methods)` }));
  } catch {
    return [];
  }
}

const label = (r: TrialRecord) =>
  `${r.method}${Object.keys(r.params).length ? ` ${JSON.stringify(r.params)}` : ''} ${r.model} ${r.task} seed ${r.seed}`;

/**
 * Re-run recorded trials and compare every metric and the final loss bit for bit. Before anything
 * trains, the backend, thread count and versions must match the records; if not, it says which.
 */
export async function verifyTrials(o: VerifyOptions): Promise<VerifyResult> {
  const set = readVerifiable(o.dirs);
  for (const w of set.warnings) o.log(`warning: ${w}`);
  const chosen = chooseTrials(set.records, {
    ...(o.trials ? { trials: o.trials } : {}),
    ...(o.sample !== undefined ? { sample: o.sample } : {}),
    seed: o.seed,
  });

  const backends = new Set(chosen.map((r) => `${r.backend}/${r.threads}`));
  if (o.backend === 'auto' && backends.size > 1) {
    throw new UserError(
      `the chosen trials ran on several backends (${[...backends].join(', ')}); verify them separately with --backend and --trial`,
    );
  }
  const first = chosen[0]!;
  const choice = (o.backend === 'auto' ? first.backend : o.backend) as BackendChoice;
  const threads = o.threads ?? (o.backend === 'auto' ? first.threads : undefined);
  const backend = await selectBackend(choice, threads !== undefined ? { threads } : {});

  // the same module from several manifests (or also --plugin) is loaded once
  const loaded = await loadEnvironment(o.zoo, [...o.dirs.flatMap(manifestPlugins), ...flagPlugins(o.plugins)]);
  const { registry } = loaded;
  const here = {
    backend: backend.name,
    threads: backend.threads,
    coreVersion: RESULTS_VERSION,
    node: process.version,
    methodVersion: (m: string) => (registry.has(m) ? registry.get(m).meta.version : undefined),
    ...(backend.adapter ? { adapter: backend.adapter } : {}),
  };
  const blocking = new Set<string>();
  for (const r of chosen) {
    const p = environmentProblems(r, here);
    p.blocking.forEach((b) => blocking.add(b));
    p.notes.forEach((n) => blocking.has(n) || o.log(`note: ${n}`));
  }
  if (blocking.size > 0) {
    throw new UserError(`cannot verify here, the environment differs from the records':\n  ${[...blocking].join('\n  ')}`);
  }
  const tolerance = toleranceFor(backend.name);
  o.log(
    `verifying ${chosen.length} of ${set.records.length} finished trials on ${backend.name} (${backend.threads} thread${backend.threads === 1 ? '' : 's'}), ${describeTolerance(tolerance)}`,
  );

  const env: TrialEnv = trialEnv(loaded, { zoo: o.zoo, cache: o.cache, backend, log: () => {} });
  const result: VerifyResult = {
    checked: 0,
    identical: 0,
    differences: new Map(),
    ...(tolerance ? { tolerance: `agree ${describeTolerance(tolerance)}` } : {}),
  };
  for (const r of chosen) {
    result.checked++;
    const diffs = await rerunOne(r, env, o.log, tolerance);
    if (diffs.length === 0) {
      result.identical++;
      const what =
        r.status === 'pruned'
          ? `pruned at rung ${r.pruned?.rung} (step ${r.pruned?.step}), dev ${Object.entries(r.devMetrics)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : Object.entries(r.metrics)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ');
      o.log(`${tolerance === null ? 'identical' : 'agrees   '}  ${r.trialId}  ${label(r)}: ${what}, final loss ${r.finalTrainLoss}`);
    } else {
      result.differences.set(r.trialId, diffs);
      o.log(`DIFFERENT  ${r.trialId}  ${label(r)}:\n    ${diffs.join('\n    ')}`);
    }
  }
  return result;
}

async function rerunOne(
  r: TrialRecord,
  env: TrialEnv,
  log: (line: string) => void,
  tolerance: ReturnType<typeof toleranceFor>,
): Promise<string[]> {
  const method = env.registry.get(r.method);
  const task = await env.tasks.load(r.task, env.cache);
  if (task.hash !== r.dataHash)
    return [`data: task '${r.task}' hashes to ${task.hash.slice(0, 12)}…, the record has ${r.dataHash.slice(0, 12)}… (the data changed)`];
  const model = await env.models.source(r.model).load(r.model, { ...sourceContext(env), log });
  if (!r.fromScratch && model.identity.sha256 !== r.modelSha256) {
    return [
      `checkpoint: '${r.model}' here has SHA-256 ${model.identity.sha256.slice(0, 12)}…, the record used ${r.modelSha256.slice(0, 12)}… (rebuild it from the recorded recipe, or copy the recorded checkpoint into the cache)`,
    ];
  }
  const spec: TrialSpec = {
    method: r.method,
    params: r.params,
    model: r.model,
    task: r.task,
    seed: r.seed,
    training: r.training,
    ...(r.fromScratch ? { fromScratch: true } : {}),
  };
  const tokenizerSha256 = r.modelIdentity?.tokenizerSha256;
  const id = trialIdOf(spec, {
    method,
    model: { modelSha256: r.modelSha256, ...(tokenizerSha256 ? { tokenizerSha256 } : {}) },
    dataHash: task.hash,
    backend: env.backend,
  });
  if (id !== r.trialId) return [`trialId: recorded ${r.trialId}, recomputed ${id} (the record's spec or identity fields were edited)`];
  // a pruned trial re-runs to the rung it stopped at (its curve and dev metric there are what it recorded)
  const rerun = await executeTrial(
    { spec, method, model, task, id },
    env,
    r.status === 'pruned' && r.pruned ? { stopAt: r.pruned.step } : {},
  );
  return outcomeDifferences(r, rerun, tolerance);
}
