import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { conllFiles, glueFiles, parquet } from '../../core/test/data/hub-datasets.js';
import { tinyWorkspace, tunelab } from './helpers.js';
import { commitOf, startHubServer, type HubServer } from './hub-server.js';

const bytes = (files: Record<string, Uint8Array | string>) =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]));

const GLUE = commitOf('glue');
const ALPACA = commitOf('alpaca');
const GPT2 = fileURLToPath(new URL('../../../fixtures/hf/gpt2-tiny/', import.meta.url));
const n = 20;
const alpacaFiles = () => ({
  'data/train-00000-of-00001-a09b74b3ef9c3b56.parquet': parquet([
    { name: 'instruction', data: Array.from({ length: n }, (_, i) => `Double ${i}.`), type: 'STRING' },
    { name: 'input', data: Array.from({ length: n }, () => ''), type: 'STRING' },
    { name: 'output', data: Array.from({ length: n }, (_, i) => `${2 * i}`), type: 'STRING' },
  ]),
});
const CONLL = commitOf('conll parquet');
let hub: HubServer;
const ws = tinyWorkspace();
const cache = mkdtempSync(join(tmpdir(), 'tunelab-hfds-e2e-'));

beforeAll(async () => {
  hub = await startHubServer([
    {
      kind: 'dataset',
      id: 'nyu-mll/glue',
      refs: { main: GLUE },
      commits: { [GLUE]: { ...bytes(glueFiles()), 'glue.py': new TextEncoder().encode('# a loading script: not taken') } },
    },
    { kind: 'dataset', id: 'tatsu-lab/alpaca', refs: { main: ALPACA }, commits: { [ALPACA]: alpacaFiles() } },
    {
      kind: 'dataset',
      id: 'eriktks/conll2003',
      refs: { main: commitOf('conll main'), 'refs/convert/parquet': CONLL },
      commits: { [commitOf('conll main')]: { 'conll2003.py': new TextEncoder().encode('#') }, [CONLL]: bytes(conllFiles()) },
    },
  ]);
  vi.stubEnv('HF_ENDPOINT', hub.url);
  vi.stubEnv('HF_HUB_CACHE', cache);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
});
afterEach(() => {
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const train = (task: string, extra: string[] = []) =>
  run([
    'train',
    '--model',
    'tiny',
    '--method',
    'lora',
    '--task',
    task,
    '--steps',
    '2',
    '--set',
    'evalLimit=8',
    '--json',
    ...ws.args,
    ...extra,
  ]);

describe('Hub datasets: pull --dataset, then train on them offline', () => {
  it('a task whose dataset is not pulled names the pull command', async () => {
    const r = await train('hf-dataset:glue/sst2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/fetch it with `tunelab pull hf:nyu-mll\/glue --dataset`/);
  });

  it('pulls GLUE (Parquet and README, not the loading script) and the CoNLL-2003 Parquet conversion', async () => {
    const g = await run(['pull', 'hf:nyu-mll/glue', '--dataset', '--json']);
    expect(g.code, g.err).toBe(0);
    expect(JSON.parse(g.out).files).not.toContain('glue.py');
    const snap = join(cache, 'datasets--nyu-mll--glue', 'snapshots', GLUE);
    expect(readdirSync(join(snap, 'sst2')).sort()).toEqual([
      'test-00000-of-00001.parquet',
      'train-00000-of-00001.parquet',
      'validation-00000-of-00001.parquet',
    ]);
    expect(existsSync(join(snap, 'README.md'))).toBe(true);
    const main = await run(['pull', 'hf:eriktks/conll2003', '--dataset']);
    expect(main.code).toBe(2);
    expect(main.err).toMatch(/the dataset has no Parquet files \(it has conll2003\.py\); .*@refs\/convert\/parquet/);
    const c = await run(['pull', 'hf:eriktks/conll2003@refs/convert/parquet', '--dataset']);
    expect(c.code, c.err).toBe(0);
    expect(existsSync(join(cache, 'datasets--eriktks--conll2003', 'refs', 'refs', 'convert', 'parquet'))).toBe(true);
  });

  it('trains on classification (glue/sst2), pairs (--columns on the long form) and tagging (conll2003)', async () => {
    const saved = join(ws.dir, 'sst2-adapter');
    const sst = await train('hf-dataset:glue/sst2', ['--save', saved]);
    expect(sst.code, sst.err).toBe(0);
    const rec = JSON.parse(sst.out.trim().split('\n').at(-1)!);
    expect(rec.task).toBe('hf-dataset:glue/sst2');
    expect(rec.status).toBe('ok');
    // eval reads the same task from the cache, with the flags or the alias
    const ev = await run([
      'eval',
      '--model',
      'tiny',
      '--adapter',
      saved,
      '--task',
      'hf-dataset:nyu-mll/glue:sst2',
      '--columns',
      'text=sentence,label=label',
      '--splits',
      'train,,validation',
      '--json',
      ...ws.args,
    ]);
    expect(ev.code, ev.err).toBe(0);
    expect(ev.err).toMatch(/on hf-dataset:nyu-mll\/glue:sst2\?columns=text=sentence,label=label&splits=train,,validation/);

    const rte = await train('hf-dataset:nyu-mll/glue:rte', [
      '--columns',
      'text=sentence1,textB=sentence2,label=label',
      '--splits',
      'train,,validation',
    ]);
    expect(rte.code, rte.err).toBe(0);
    expect(JSON.parse(rte.out.trim().split('\n').at(-1)!).task).toBe(
      'hf-dataset:nyu-mll/glue:rte?columns=text=sentence1,textB=sentence2,label=label&splits=train,,validation',
    );

    const ner = await train('hf-dataset:conll2003');
    expect(ner.code, ner.err).toBe(0);
    expect(JSON.parse(ner.out.trim().split('\n').at(-1)!).metrics.spanF1).toBeTypeOf('number');
  }, 300_000);

  it('trains a decoder on instruction data (the alpaca alias: a generation task)', async () => {
    expect((await run(['pull', 'hf:tatsu-lab/alpaca', '--dataset'])).code).toBe(0);
    const r = await run([
      'train',
      '--model',
      `hf:${GPT2}`,
      '--method',
      'lora',
      '--task',
      'hf-dataset:alpaca',
      '--steps',
      '2',
      '--set',
      'evalLimit=4',
      '--json',
      ...ws.args,
    ]);
    expect(r.code, r.err).toBe(0);
    const rec = JSON.parse(r.out.trim().split('\n').at(-1)!);
    expect(rec.task).toBe('hf-dataset:alpaca');
    expect(rec.status).toBe('ok');
  }, 300_000);

  // the built CLI (sweep workers are processes): run `npx tsc -b` first
  it('a sweep config names the task with its options in the string', () => {
    const config = join(ws.dir, 'hf-sweep.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'hf',
        tasks: ['hf-dataset:nyu-mll/glue:sst2?columns=text=sentence,label=label&splits=train,,validation'],
        models: ['tiny'],
        seeds: [1],
        training: { steps: 2, evalLimit: 8 },
        methods: [{ method: 'lora', grid: {} }],
      }),
    );
    const out = join(ws.dir, 'out-hf');
    const r = tunelab(['sweep', '--config', config, '--out', out, '--workers', '1', ...ws.args], { env: { HF_HUB_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'results.jsonl'))).toBe(true);
  }, 300_000);
});
