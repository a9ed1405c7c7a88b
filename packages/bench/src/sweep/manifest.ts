import { CORE_VERSION, readPackageVersion, writeJsonAtomic, type BackendInfo } from '@tunelab/core/internal';
import { execFileSync } from 'node:child_process';
import { cpus, hostname, totalmem, type as osType, release, arch } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { SweepConfig } from './config.js';
import { shardIndexOf, type SweepPlan } from './plan.js';
import { shardOfCell, type Shard } from './shard.js';

export interface RunCounts {
  /** cells of the whole sweep */
  cells: number;
  /** cells of this shard (all of them when unsharded) */
  inShard: number;
  /** skipped because a record already existed */
  skipped: number;
  ok: number;
  failed: number;
  diverged: number;
  /** stopped by successive halving */
  pruned: number;
}

export interface SweepManifest {
  format: 'tunelab-sweep-manifest';
  formatVersion: 1;
  sweep: string;
  configPath: string;
  /** the config after validation and defaults */
  config: SweepConfig;
  /** every trial of the sweep in run order, with the shard (1..n) it belongs to */
  trials: { index: number; id: string; shard: number; label: string; spec: SweepPlan['cells'][number]['spec']; bracket?: string }[];
  git: { commit: string | null; dirty: boolean | null };
  versions: {
    core: string;
    bench: string;
    node: string;
    methods: Record<string, { package: string; version: string; from: string; path: string; builtin: boolean }>;
  };
  /** every plugin module file the sweep loaded (methods, and plugins that only bind families, tasks or trainers) */
  plugins?: string[];
  backend: BackendInfo;
  machine: { hostname: string; os: string; arch: string; cpus: number; cpuModel: string; totalMemoryBytes: number };
  workers: number;
  shard: Shard | null;
  argv: string[];
  startedAt: string;
  /** null while the sweep runs (or if it was killed) */
  endedAt: string | null;
  counts: RunCounts;
}

function git(cwd: string, args: string[]): string | null {
  try {
    // GIT_OPTIONAL_LOCKS=0: `git status` must not rewrite the index under someone's feet
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    }).trim();
  } catch {
    return null; // not a repository, or git is not installed
  }
}

export function buildManifest(
  plan: SweepPlan,
  run: { workers: number; shard: Shard | null; startedAt: string; endedAt: string | null; counts: RunCounts },
): SweepManifest {
  const cwd = dirname(resolve(plan.configPath));
  const commit = git(cwd, ['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(cwd, ['status', '--porcelain', '--untracked-files=no']);
  const cpu = cpus();
  const methods: SweepManifest['versions']['methods'] = {};
  for (const m of plan.loaded)
    methods[m.plugin.meta.id] = {
      package: m.plugin.meta.packageName,
      version: m.plugin.meta.version,
      from: m.from,
      path: m.path,
      builtin: m.builtin,
    };
  const count = run.shard?.count ?? 1;
  return {
    format: 'tunelab-sweep-manifest',
    formatVersion: 1,
    sweep: plan.config.name,
    configPath: resolve(plan.configPath),
    config: plan.config,
    trials: plan.cells.map((c) => ({
      index: c.index,
      id: c.id,
      shard: shardOfCell(shardIndexOf(c), count),
      label: c.label,
      spec: c.spec,
      ...(c.bracket ? { bracket: c.bracket.label } : {}),
    })),
    git: { commit, dirty: status === null ? null : status !== '' },
    versions: {
      core: CORE_VERSION,
      bench: readPackageVersion(new URL('../../package.json', import.meta.url)).version,
      node: process.version,
      methods,
    },
    plugins: plan.plugins,
    backend: plan.backend,
    machine: {
      hostname: hostname(),
      os: `${osType()} ${release()}`,
      arch: arch(),
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      totalMemoryBytes: totalmem(),
    },
    workers: run.workers,
    shard: run.shard,
    argv: process.argv.slice(2),
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    counts: run.counts,
  };
}

export async function writeManifest(path: string, manifest: SweepManifest): Promise<void> {
  await writeJsonAtomic(path, manifest);
}
