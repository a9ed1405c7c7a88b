import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { tunelab } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BERT = join(ROOT, 'fixtures/hf/bert-tiny');
const DISTILBERT = join(ROOT, 'examples/family-distilbert/test/fixtures/distilbert-tiny');
const TASK_PLUGIN = fileURLToPath(new URL('./fixtures/plugins/task-only.mjs', import.meta.url));
const cache = mkdtempSync(join(tmpdir(), 'tunelab-plugin-kinds-'));
const common = ['--cache', cache, '--backend', 'cpu', '--set', 'steps=4', '--set', 'evalEvery=2', '--set', 'batchSize=8', '--json'];
const lastRecord = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as TrialRecord;

describe('plugins that bring no method: a model family, a task', () => {
  it('a family-only plugin (examples/family-distilbert) trains under LoRA through --model distilbert:<folder>', () => {
    const r = tunelab(
      [
        'train',
        '--plugin',
        join(ROOT, 'examples/family-distilbert'),
        '--plugin',
        TASK_PLUGIN,
        '--model',
        `distilbert:${DISTILBERT}`,
        '--method',
        'lora',
        '--task',
        'fixture-parity',
        ...common,
      ],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    const rec = lastRecord(r.stdout);
    expect(rec).toMatchObject({
      status: 'ok',
      method: 'lora',
      modelFamily: 'distilbert',
      task: 'fixture-parity',
      shape: { hidden: 32, ffnWidth: 72 },
    });
    expect(rec.adapterParams).toBe(2 * 2 * 8 * (32 + 32)); // LoRA's default: query and value, r = 8, on 2 layers
  });

  it('a task-only plugin runs in train, and its record names the task', () => {
    const r = tunelab(
      ['train', '--plugin', TASK_PLUGIN, '--model', `hf:${BERT}`, '--method', 'sft', '--task', 'fixture-parity', ...common],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    const rec = lastRecord(r.stdout);
    expect(rec).toMatchObject({
      status: 'ok',
      task: 'fixture-parity',
      taskKind: 'classification',
      dataHash: 'fixture-parity-v1',
      model: `hf:${BERT}`,
    });
  });

  it('a task-only plugin runs in a sweep (config plugins and tasks)', () => {
    const dir = mkdtempSync(join(cache, 'sweep-'));
    const config = join(dir, 'sweep.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'plugin-task',
        plugins: [TASK_PLUGIN],
        models: [`hf:${BERT}`],
        tasks: ['fixture-parity'],
        seeds: [1],
        training: { steps: 4, evalEvery: 2, batchSize: 8 },
        methods: [{ method: 'lora', grid: {} }],
      }),
    );
    const r = tunelab(
      ['sweep', '--config', config, '--out', join(dir, 'out'), '--workers', '1', '--cache', cache, '--backend', 'cpu', '--no-report'],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    const recs = readFileSync(join(dir, 'out/results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(recs.map((x) => `${x.method} ${x.task} ${x.status}`)).toEqual(['lora fixture-parity ok']);
  });

  it('an unknown task names the plugin tasks among the available ones', () => {
    const r = tunelab(['train', '--plugin', TASK_PLUGIN, '--model', `hf:${BERT}`, '--method', 'sft', '--task', 'nope', ...common], {
      cwd: ROOT,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--task: unknown task 'nope'; available: (.*, )?fixture-parity, (.*, )?wn-supersense/);
  });
});

describe('a plugin with its own copy of @tunelab/core and tfjs-core in its node_modules', () => {
  it("imports the host's: one core (one DI token per extension point), one tfjs engine", () => {
    const dir = mkdtempSync(join(cache, 'own-core-'));
    const own = (name: string) => join(dir, 'node_modules', name);
    // a real copy of core (a link would resolve to the host's file anyway), and a fake tfjs-core
    mkdirSync(own('@tunelab/core'), { recursive: true });
    cpSync(join(ROOT, 'packages/core/package.json'), join(own('@tunelab/core'), 'package.json'));
    cpSync(join(ROOT, 'packages/core/dist'), join(own('@tunelab/core'), 'dist'), { recursive: true });
    mkdirSync(own('@tensorflow/tfjs-core'), { recursive: true });
    writeFileSync(
      join(own('@tensorflow/tfjs-core'), 'package.json'),
      JSON.stringify({ name: '@tensorflow/tfjs-core', version: '0.0.0-fake', type: 'module', main: 'index.js' }),
    );
    writeFileSync(join(own('@tensorflow/tfjs-core'), 'index.js'), 'export const FAKE = true;\n');
    symlinkSync(join(ROOT, 'node_modules/zod'), own('zod'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'own-core', version: '0.1.0', type: 'module', main: 'index.mjs' }));
    // the method's description says which core and which tfjs the plugin got
    writeFileSync(
      join(dir, 'index.mjs'),
      `import { UserError } from '@tunelab/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
const where = import.meta.resolve('@tunelab/core');
export default {
  meta: { id: 'own-core', version: '0.1.0', packageName: 'own-core', coreApi: '>=0.2.0', paramPrefix: 'own_core', defaultLearningRate: 0.01,
    description: \`core \${where} tfjs \${'FAKE' in tf ? 'fake' : 'real'} \${typeof UserError}\` },
  schema: z.object({}).strict(),
  apply: () => ({ hooks: {}, params: new Map(), trainableBackbone: () => new Map(), dispose() {} }),
};
`,
    );
    const r = tunelab(['methods', '--plugin', dir, '--json'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    const m = (JSON.parse(r.stdout) as { id: string; description: string }[]).find((x) => x.id === 'own-core')!;
    expect(m.description).toBe(`core ${pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href} tfjs real function`);
    expect(r.stderr).not.toMatch(/already registered/);
  });
});
