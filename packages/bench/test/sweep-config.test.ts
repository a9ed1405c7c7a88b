import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUserError } from '@tunelab/core/internal';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMethods } from '../src/methods.js';
import { parseSweepConfig, type SweepConfig } from '../src/sweep/config.js';
import { expandGrid, recipeParams } from '../src/sweep/expand.js';
import { runSweep } from '../src/sweep/run.js';
import { inShard, parseShard } from '../src/sweep/shard.js';
import { countTrials } from '../src/sweep/count.js';
import { loadZoo, type Zoo, type ZooEncoderModel } from '@tunelab/core/internal';
import { tinyWorkspace, tunelab } from './helpers.js';

const ws = tinyWorkspace();
const smoke = JSON.parse(readFileSync(new URL('../../../configs/sweeps/smoke.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const base = () =>
  ({ ...structuredClone(smoke), models: ['tiny'], seeds: [1], training: { steps: 2, evalLimit: 8 } }) as Record<string, any>;

/** Each bad config: exit 2, one message naming the path, and nothing at all in the output folder. */
const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
  [
    'a value the method rejects names the grid path and the method',
    (c) => (c.methods[1].grid.rank = [4, 0]),
    /methods\[1\]\.grid\.rank\[1\]: method 'lora': .*>=1/,
  ],
  [
    'a nested value names its position inside the grid value',
    (c) => (c.methods[1].grid.targets = [['query'], ['query', '']]),
    /methods\[1\]\.grid\.targets\[1\]\[1\]: method 'lora': Too small/,
  ],
  ['an empty grid list', (c) => (c.methods[1].grid.rank = []), /methods\[1\]\.grid\.rank: expected at least one value/],
  ['an unknown top-level key', (c) => (c.sede = [1]), /Unrecognized key.*sede/],
  ['an unknown key in a method row', (c) => (c.methods[0].gird = {}), /methods\[0\]: Unrecognized key.*gird/],
  [
    'an unknown grid key',
    (c) => (c.methods[1].grid.rnak = [1]),
    /methods\[1\]\.grid\.rnak: not a parameter of method 'lora' \(rank, alpha/,
  ],
  ['a non-integer seed', (c) => (c.seeds = [1, 2.5]), /seeds\[1\]: expected an integer seed/],
  ['a repeated seed', (c) => (c.seeds = [3, 3]), /seeds\[1\]: duplicate of seeds\[0\]/],
  [
    'an unknown method',
    (c) => c.methods.push({ method: 'lorra', grid: {} }),
    /methods\[4\]\.method: unknown method 'lorra'; installed: .*lora/,
  ],
  ['an unknown model', (c) => (c.models = ['tiny', 'huge']), /models\[1\]: unknown model 'huge'; known: tiny/],
  [
    'an unknown task',
    (c) => (c.tasks = ['wn-nope']),
    /tasks\[0\]: unknown task 'wn-nope'; available: arith, wn-hypernym-gen, wn-reverse-dict, wn-supersense/,
  ],
  [
    'a training setting out of range in the grid',
    (c) => (c.methods[0].grid = { steps: [5, 0] }),
    /methods\[0\]\.grid\.steps\[1\]: Too small/,
  ],
  [
    'a value that does not fit the model',
    (c) => (c.methods[3].grid.trainableLayers = [1, 3]),
    /methods\[3\]\.grid\.trainableLayers\[1\]: freeze trainableLayers=3 does not fit model 'tiny'/,
  ],
  [
    'a rung that is not a dev point',
    (c) => ((c.prune = { type: 'successive-halving', minSteps: 3 }), (c.training.evalEvery = 2), (c.training.steps = 12)),
    /prune\.minSteps: 3 is not a multiple of training\.evalEvery \(2, of sft\): every rung must be a dev point/,
  ],
  [
    'a pruned row whose settings have different budgets',
    (c) => ((c.prune = { type: 'successive-halving', minSteps: 2 }), (c.training.evalEvery = 2), (c.methods[0].grid = { steps: [8, 12] })),
    /methods\[0\]: the settings of a pruned row must share one budget \(8 and 12 steps\)/,
  ],
  ['an unknown pruner', (c) => (c.prune = { type: 'hyperband', minSteps: 2 }), /prune\.type: expected 'successive-halving'/],
  [
    "a row's own rung that is not a dev point of that row",
    (c) => ((c.methods[0].prune = { type: 'successive-halving', minSteps: 3 }), (c.methods[0].grid = { evalEvery: [2], lr: [1e-3, 1e-2] })),
    /methods\[0\]\.prune\.minSteps: 3 is not a multiple of training\.evalEvery \(2, of sft evalEvery=2 lr=0\.001\): every rung must be a dev point/,
  ],
  [
    'a reduction factor below 2',
    (c) => (c.prune = { type: 'successive-halving', minSteps: 2, reductionFactor: 1 }),
    /prune\.reductionFactor: expected at least 2/,
  ],
  ['an unknown trainer', (c) => (c.training.trainer = 'fp16'), /training\.trainer: no trainer 'fp16' \(installed: adamw\)/],
  ['a budget given twice', (c) => (c.training.epochs = 1), /training\.epochs: give the budget as steps or as epochs, not both/],
  ['a plugin that cannot be loaded', (c) => (c.plugins = ['./missing-plugin.mjs']), /plugins\[0\]: cannot load '\.\/missing-plugin\.mjs'/],
  // stacked rows (issue 15)
  [
    'a method listed twice in a stacked row',
    (c) => c.methods.push({ method: ['lora', 'lora'] }),
    /methods\[4\]\.method\[1\]: 'lora' is listed twice \(positions 0 and 1\); a stack takes each method once/,
  ],
  ['a method listed twice in a stacked id', (c) => c.methods.push({ method: 'lora+lora' }), /methods\[4\]\.method: 'lora' is listed twice/],
  [
    'an unknown method in a stacked row',
    (c) => c.methods.push({ method: ['lora', 'lorra'] }),
    /methods\[4\]\.method\[1\]: unknown method 'lorra'; installed: .*ptuning-v2/,
  ],
  ['an empty stacked row', (c) => c.methods.push({ method: [] }), /methods\[4\]\.method: expected at least one method/],
  [
    'an unqualified param in a stacked row',
    (c) => c.methods.push({ method: ['lora', 'ptuning-v2'], grid: { rank: [2] } }),
    /methods\[4\]\.grid\.rank: 'lora\+ptuning-v2' stacks methods, so name the method the setting is for: lora\.rank or ptuning-v2\.rank/,
  ],
  [
    'a param of a method the row does not stack',
    (c) => c.methods.push({ method: ['lora', 'ptuning-v2'], grid: { 'freeze.trainableLayers': [1] } }),
    /methods\[4\]\.grid\.freeze\.trainableLayers: 'freeze' is not one of the stacked methods \(lora, ptuning-v2\)/,
  ],
  [
    'an unknown param of a stacked method',
    (c) => c.methods.push({ method: ['lora', 'ptuning-v2'], grid: { 'lora.rnak': [2] } }),
    /methods\[4\]\.grid\.lora\.rnak: not a parameter of method 'lora' \(rank, alpha/,
  ],
  [
    'a value a stacked method rejects',
    (c) => c.methods.push({ method: ['lora', 'ptuning-v2'], grid: { 'ptuning-v2.prefixLength': [4, 0] } }),
    /methods\[4\]\.grid\.ptuning-v2\.prefixLength\[1\]: method 'ptuning-v2': .*>=1/,
  ],
  [
    'a stacked value that does not fit the model',
    (c) => c.methods.push({ method: ['lora', 'ptuning-v2'], grid: { 'lora.rank': [2, 64] } }),
    /methods\[4\]\.grid\.lora\.rank\[1\]: lora\+ptuning-v2 lora\.rank=64 does not fit model 'tiny': method 'lora\+ptuning-v2': params\.lora\.rank: 64 exceeds min\(d_in, d_out\) = 16/,
  ],
  [
    'SFT stacked with another method',
    (c) => c.methods.push({ method: ['sft', 'lora'] }),
    /methods\[4\]\.method \(sft\+lora\): 'sft' trains every backbone weight, so nothing stays frozen for 'lora'; run 'sft' on its own/,
  ],
];

function writeCase(i: number, mutate: (c: Record<string, any>) => void): { file: string; out: string } {
  const c = base();
  mutate(c);
  const file = join(ws.dir, `bad-${i}.json`);
  writeFileSync(file, JSON.stringify(c));
  return { file, out: join(ws.dir, `out-${i}`) };
}

const nothingWritten = (out: string) => {
  expect(existsSync(out), 'the output folder must not be created').toBe(false);
  expect(existsSync(join(ws.cache, 'models')), 'nothing pretrained for a config that fails').toBe(false);
};

describe('sweep config errors: the path, nothing written', () => {
  // in-process (runSweep is what the command calls); two cases below go through the CLI
  cases.forEach(([name, mutate, message], i) => {
    it(name, async () => {
      const { file, out } = writeCase(i, mutate);
      const run = runSweep({
        configPath: file,
        out,
        workers: 1,
        shard: null,
        retryFailed: false,
        force: false,
        backend: 'wasm',
        threads: 1,
        cache: ws.cache,
        zooPath: ws.zoo,
        extraPlugins: [],
        log: () => {},
      });
      const error = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUserError(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(file);
      nothingWritten(out);
    });
  });

  it('the CLI prints the message alone and exits 2', () => {
    const picked = ['a value the method rejects', 'a value that does not fit the model'].map((n) => cases.find((c) => c[0].startsWith(n))!);
    for (const [i, [, mutate, message]] of picked.entries()) {
      const { file, out } = writeCase(100 + i, mutate);
      const r = tunelab(['sweep', '--config', file, '--out', out, ...ws.args]);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      nothingWritten(out);
    }
  });

  it('rejects --shard outside 1..n with the numbering it expects', () => {
    expect(() => parseShard('0/4')).toThrow(/numbered 1\.\.4.*\$\(\(index \+ 1\)\)/);
    expect(() => parseShard('5/4')).toThrow(/between 1 and 4/);
    expect(() => parseShard('2-4')).toThrow(/expected i\/n/);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  });
});

describe('grid expansion', () => {
  let zoo: Zoo;
  let registry: Awaited<ReturnType<typeof loadMethods>>['registry'];
  const tinyEncoder = () => zoo.models.tiny as ZooEncoderModel;
  const threeSizes = (): Zoo => ({
    ...zoo,
    models: {
      // (tiny is an encoder recipe)
      // written largest first: the order must come from the parameter counts, not the file
      big: { ...tinyEncoder(), encoder: { ...tinyEncoder().encoder, layers: 2, hidden: 32 } },
      tiny: zoo.models.tiny!,
      mid: { ...tinyEncoder(), encoder: { ...tinyEncoder().encoder, layers: 2 } },
    },
  });
  const config = (over: Partial<SweepConfig> = {}): SweepConfig =>
    parseSweepConfig(
      {
        name: 't',
        tasks: ['wn-supersense', 'wn-wic'],
        models: ['big', 'tiny', 'mid'],
        seeds: [7, 1],
        training: { steps: 3 },
        methods: [
          { method: 'sft', grid: { lr: [1e-4, 1e-3] } },
          { method: 'lora', grid: { rank: [1, 2, 4], alpha: [8, 16] } },
          { method: 'ptuning-v2', grid: { mode: ['deep', 'shallow'], prefixLength: [4] } },
          { method: 'freeze', grid: { trainableLayers: [1, 2] }, models: ['mid', 'big'] },
        ],
        ...over,
      },
      'test',
    );

  beforeAll(async () => {
    zoo = await loadZoo(ws.zoo);
    registry = (await loadMethods()).registry;
  });

  it('is the cartesian product per method x models x tasks x seeds', () => {
    const cells = expandGrid(config(), registry, threeSizes());
    const perModelSeedTask = 2 + 3 * 2 + 2; // sft, lora, ptuning
    expect(cells).toHaveLength(3 * 2 * 2 * perModelSeedTask + 2 * 2 * 2 * 2); // + freeze on two sizes
    expect(cells.map((c) => c.index)).toEqual(cells.map((_, i) => i));
  });

  it("a row's tasks narrow it to those tasks, as its models narrow it to those sizes; the count agrees", () => {
    const c = config({
      methods: [
        { method: 'sft', grid: { lr: [1e-4] }, tasks: ['wn-wic'] },
        { method: 'lora', grid: { rank: [1] }, tasks: ['wn-supersense'], models: ['tiny'] },
      ],
    });
    const cells = expandGrid(c, registry, threeSizes());
    expect(cells.filter((x) => x.spec.method === 'sft').every((x) => x.spec.task === 'wn-wic')).toBe(true);
    expect(cells.filter((x) => x.spec.method === 'sft')).toHaveLength(3 * 2);
    expect(cells.filter((x) => x.spec.method === 'lora').map((x) => `${x.spec.model} ${x.spec.task}`)).toEqual(
      Array(2).fill('tiny wn-supersense'),
    );
    expect(countTrials(c)).toBe(cells.length);
    expect(() => expandGrid(config({ methods: [{ method: 'sft', grid: {}, tasks: ['arith'] }] }), registry, threeSizes())).toThrow(
      /methods\[0\]\.tasks\[0\]: 'arith' is not one of the sweep's tasks \(wn-supersense, wn-wic\)/,
    );
  });

  it('orders smallest model first, then seed, then task, then method', () => {
    const z = threeSizes();
    const cells = expandGrid(config(), registry, z);
    expect(recipeParams(z, 'tiny')).toBeLessThan(recipeParams(z, 'mid'));
    expect(recipeParams(z, 'mid')).toBeLessThan(recipeParams(z, 'big'));
    const models = [...new Set(cells.map((c) => c.spec.model))];
    expect(models).toEqual(['tiny', 'mid', 'big']);
    const first = cells.filter((c) => c.spec.model === 'tiny');
    expect(cells.slice(0, first.length)).toEqual(first); // every tiny trial before anything bigger
    // seeds in config order (7 before 1), then tasks, 10 method settings each
    expect(first.map((c) => `${c.spec.seed} ${c.spec.task}`)).toEqual(
      ['7 wn-supersense', '7 wn-wic', '1 wn-supersense', '1 wn-wic'].flatMap((k) => Array<string>(10).fill(k)),
    );
    expect(first.slice(0, 10).map((c) => c.label)).toEqual([
      'sft lr=0.0001',
      'sft lr=0.001',
      'lora rank=1 alpha=8',
      'lora rank=1 alpha=16',
      'lora rank=2 alpha=8',
      'lora rank=2 alpha=16',
      'lora rank=4 alpha=8',
      'lora rank=4 alpha=16',
      'ptuning-v2 mode=deep prefixLength=4',
      'ptuning-v2 mode=shallow prefixLength=4',
    ]);
  });

  it('resolves each cell: method defaults, grid overrides, training defaults', () => {
    const cells = expandGrid(config(), registry, threeSizes());
    const lora = cells.find((c) => c.label === 'lora rank=2 alpha=8')!;
    expect(lora.spec.params).toMatchObject({ rank: 2, alpha: 8, targets: ['query', 'value'] });
    expect(lora.spec.training).toMatchObject({ steps: 3, lr: registry.get('lora').meta.defaultLearningRate, maxLength: 32 });
    expect(cells.find((c) => c.label === 'sft lr=0.001')!.spec.training.lr).toBe(0.001);
  });

  it('keeps identical cells once and is the same on every call', () => {
    const dup = config({
      methods: [
        { method: 'lora', grid: { rank: [8] } },
        { method: 'lora', grid: {} },
      ],
    } as Partial<SweepConfig>);
    expect(expandGrid(dup, registry, threeSizes())).toHaveLength(3 * 2 * 2); // rank 8 is lora's default
    expect(JSON.stringify(expandGrid(config(), registry, threeSizes()))).toBe(JSON.stringify(expandGrid(config(), registry, threeSizes())));
  });

  it('a stacked row: ids joined by +, params grouped by method id, qualified grid keys in the label', () => {
    const methods = [
      { method: ['lora', 'ptuning-v2'], grid: { 'lora.rank': [2], 'ptuning-v2.prefixLength': [4, 8], lr: [0.01] } },
      { method: 'lora+ptuning-v2', grid: { 'lora.rank': [2], 'ptuning-v2.prefixLength': [4, 8], lr: [0.01] } },
      { method: ['lora'], grid: { rank: [2] } },
    ];
    const cells = expandGrid(
      config({ methods, models: ['tiny'], seeds: [1], tasks: ['wn-wic'] } as unknown as Partial<SweepConfig>),
      registry,
      threeSizes(),
    );
    // the id form is the list form: its cells are the same specs, kept once
    expect(cells.map((c) => c.label)).toEqual([
      'lora+ptuning-v2 lora.rank=2 ptuning-v2.prefixLength=4 lr=0.01',
      'lora+ptuning-v2 lora.rank=2 ptuning-v2.prefixLength=8 lr=0.01',
      'lora rank=2',
    ]);
    expect(cells[1]!.spec).toMatchObject({
      method: 'lora+ptuning-v2',
      params: { lora: { rank: 2, alpha: 16, targets: ['query', 'value'] }, 'ptuning-v2': { prefixLength: 8, mode: 'deep' } },
      training: { lr: 0.01 },
    });
    expect(cells[2]!.spec).toMatchObject({ method: 'lora', params: { rank: 2 } });
    // without a rate in the grid, a stack trains at the smallest of its parts' default rates
    const plain = expandGrid(
      config({
        methods: [{ method: ['ptuning-v2', 'lora'] }],
        models: ['tiny'],
        seeds: [1],
        tasks: ['wn-wic'],
      } as unknown as Partial<SweepConfig>),
      registry,
      threeSizes(),
    );
    expect(plain[0]!.spec.training.lr).toBe(
      Math.min(registry.get('lora').meta.defaultLearningRate, registry.get('ptuning-v2').meta.defaultLearningRate),
    );
    expect(plain[0]!.spec.method).toBe('ptuning-v2+lora');
  });

  it('shards partition the ordered cells', () => {
    const cells = expandGrid(config(), registry, threeSizes());
    const shards = [1, 2, 3].map((i) => cells.filter((c) => inShard(c.index, { index: i, count: 3 })));
    expect(
      shards
        .flat()
        .map((c) => c.index)
        .sort((a, b) => a - b),
    ).toEqual(cells.map((c) => c.index));
    expect(shards.map((s) => s[0]!.spec.model)).toEqual(['tiny', 'tiny', 'tiny']);
  });
});
