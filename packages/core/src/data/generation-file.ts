import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { GenerationExample, TaskData } from '../contracts/task.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { decodeUtf8 } from './loaders.js';
import { carveSplits, taskHash } from './tasks/splits.js';

/**
 * Instruction data in a user's JSONL file, detected from the first row's fields:
 * - `prompt` / `completion` (TRL's prompt-completion format): trained on the completion;
 * - Alpaca's `instruction`, optional `input`, `output`, rendered with Alpaca's own prompt format
 *   without its preamble: `### Instruction:\n{instruction}\n\n[### Input:\n{input}\n\n]### Response:\n`.
 */
export type GenerationFormat = 'prompt-completion' | 'alpaca';

const MIN_EXAMPLES_TO_SPLIT = 10;

/** The generation format of a JSONL file's first object, or undefined for a classification file. */
export function generationFormatOf(first: Record<string, unknown>): GenerationFormat | undefined {
  if ('prompt' in first || 'completion' in first) return 'prompt-completion';
  if ('instruction' in first || 'output' in first) return 'alpaca';
  return undefined;
}

/** The first JSON object of a JSONL text, if it parses (the caller reports malformed lines). */
export function firstJsonObject(text: string): Record<string, unknown> | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function field(o: Record<string, unknown>, name: string, where: string, optional = false): string {
  const v = o[name];
  if (v === undefined || v === null) {
    if (optional) return '';
    throw new UserError(`${where}: field "${name}" is missing`);
  }
  if (typeof v !== 'string') throw new UserError(`${where}: field "${name}" must be a string, got ${JSON.stringify(v).slice(0, 60)}`);
  if (!optional && v.trim() === '') throw new UserError(`${where}: field "${name}" is empty`);
  return v;
}

function toExample(o: Record<string, unknown>, format: GenerationFormat, where: string): GenerationExample {
  if (format === 'prompt-completion') return { prompt: field(o, 'prompt', where), response: field(o, 'completion', where) };
  const instruction = field(o, 'instruction', where);
  const input = field(o, 'input', where, true);
  const prompt = `### Instruction:\n${instruction}\n\n${input.trim() === '' ? '' : `### Input:\n${input}\n\n`}### Response:\n`;
  return { prompt, response: field(o, 'output', where) };
}

async function readExamples(
  shown: string,
  cwd: string,
  format: GenerationFormat,
): Promise<{ bytes: Uint8Array; examples: GenerationExample[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(resolve(cwd, shown));
  } catch (e) {
    throw new UserError(`${shown}: cannot read the file (${(e as Error).message})`);
  }
  const examples: GenerationExample[] = [];
  decodeUtf8(bytes, shown)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') return;
      const where = `${shown}:${i + 1}`;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new UserError(`${where}: malformed JSON (${(e as Error).message}); each line must be one JSON object`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${where}: expected a JSON object`);
      examples.push(toExample(v as Record<string, unknown>, format, where));
    });
  if (examples.length === 0) throw new UserError(`${shown}: the file has no examples`);
  return { bytes, examples };
}

/**
 * `--task file:train.jsonl` with instruction data: dev/test from `dev.jsonl` (or
 * `validation.jsonl`) and `test.jsonl` beside a file called train.jsonl, else carved 80/10/10
 * from it, seeded by its content (as for classification files).
 */
export async function loadGenerationFile(spec: string, cwd: string, format: GenerationFormat): Promise<TaskData> {
  const train = await readExamples(spec, cwd, format);
  const ext = extname(spec);
  const isTrain = basename(spec, ext).toLowerCase() === 'train';
  const sibling = (...names: string[]) =>
    isTrain ? names.map((n) => join(dirname(spec), n + ext)).find((p) => existsSync(resolve(cwd, p))) : undefined;
  const devPath = sibling('dev', 'validation');
  const testPath = sibling('test');
  const dev = devPath === undefined ? undefined : await readExamples(devPath, cwd, format);
  const test = testPath === undefined ? undefined : await readExamples(testPath, cwd, format);
  let splits = { train: train.examples, dev: dev?.examples ?? [], test: test?.examples ?? [] };
  if (!dev || !test) {
    if (train.examples.length < MIN_EXAMPLES_TO_SPLIT) {
      throw new UserError(
        `${spec}: ${train.examples.length} examples are too few to split off dev/test; give at least ${MIN_EXAMPLES_TO_SPLIT}, or put dev${ext} and test${ext} beside a train${ext}`,
      );
    }
    const carved = carveSplits(splits.train, sha256(train.bytes), { dev: !dev, test: !test });
    splits = { train: carved.train, dev: dev ? splits.dev : carved.dev, test: test ? splits.test : carved.test };
  }
  const files: [string, Uint8Array][] = [[spec, train.bytes]];
  if (devPath && dev) files.push([devPath, dev.bytes]);
  if (testPath && test) files.push([testPath, test.bytes]);
  return {
    name: `file:${spec}`,
    kind: 'generation',
    labels: [],
    ...splits,
    hash: taskHash([], splits),
    source: files.map(([shown, bytes]) => `${shown} (${format}, sha256 ${sha256(bytes).slice(0, 16)})`).join(', '),
  };
}
