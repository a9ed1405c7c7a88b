/**
 * The bad-input catalogue's entries (issue 8 and issue 26's classes): the workspace they run in,
 * the inputs each names, and `prepareCatalogue()`, which builds the files they read (a real tiny
 * checkpoint and damaged copies of it, bad data folders, hub and PEFT folders). The runner is
 * bad-input-catalogue.test.ts.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { lora } from '@tunelab/method-lora';
import { main } from '../src/cli.js';
import { tinyWorkspace } from './helpers.js';
import { HF_BAD_CASES, makeBadHfFolders } from './hf-bad-inputs.js';
import { hubBadInputs } from './hub-bad-inputs.js';
import { HOSTILE_CASES, makeHostileInputs } from './hostile-inputs.js';
import { makePeftBadFolders, PEFT_BAD_CASES } from './peft-bad-inputs.js';

export const ws = tinyWorkspace();
const hubBad = hubBadInputs(ws);
const FIX = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const DATA = join(ws.dir, 'data');
const good = {
  name: 'bad',
  tasks: ['wn-wic'],
  models: ['tiny'],
  seeds: [1],
  training: { steps: 2, evalLimit: 8 },
  methods: [{ method: 'sft', grid: {} }],
};

/** A workspace of its own (configs/zoo.json marks it) for the output-path cases. */
const home = join(ws.dir, 'home');

function config(name: string, body: unknown, raw = false): string {
  const file = join(ws.dir, `${name}.json`);
  writeFileSync(file, raw ? String(body) : JSON.stringify(body));
  return file;
}
const sweep = (name: string, body: unknown, extra: string[] = []) => [
  'sweep',
  '--config',
  config(name, body),
  '--out',
  join(ws.dir, `out-${name}`),
  '--workers',
  '1',
  ...ws.args,
  ...extra,
];
const withGood = (over: Record<string, unknown>) => ({ ...structuredClone(good), ...over });
const row = (method: string, grid: Record<string, unknown[]>) => withGood({ methods: [{ method, grid }] });
const train = (extra: string[], task = 'wn-wic') => ['train', '--model', 'tiny', '--task', task, ...ws.args, ...extra];
const dataTask = (dir: string) => `file:${join(DATA, dir, 'train.jsonl')}`;
/** a cache holding a tampered copy of the tiny checkpoint */
const tampered = (name: string) => ['--cache', join(ws.dir, `cache-${name}`)];
const withCache = (args: string[], cache: string[]) => args.map((a, i) => (args[i - 1] === '--cache' ? cache[1]! : a));

/** A saved-adapter folder holding only its adapter_config.json (refused before any weight is read). */
function adapterFolder(name: string, over: { version?: string; baseModelSha256?: string }): string {
  const dir = join(ws.dir, `adapter-${name}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    format: 'tunelab-adapter',
    formatVersion: 1,
    method: { id: 'lora', version: over.version ?? lora.meta.version, packageName: lora.meta.packageName },
    params: { rank: 2 },
    task: { kind: 'pair', numLabels: 2 },
    baseModelSha256: over.baseModelSha256 ?? 'f'.repeat(64),
  };
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(config));
  return dir;
}
const evalArgs = (dir: string) => ['eval', '--model', 'tiny', '--task', 'wn-wic', '--adapter', dir, ...ws.args];

export interface Case {
  name: string;
  args: () => string[];
  message: RegExp;
  cwd?: string;
  /** environment variables set for this case only */
  env?: Record<string, string>;
  /** more checks that nothing was written */
  after?: () => void;
  /** the case's --out exists beforehand (it is what is wrong) */
  outExists?: boolean;
}

export const cases: Case[] = [
  ...HF_BAD_CASES(ws),
  ...hubBad.cases,
  ...HOSTILE_CASES(ws, sweep, good),
  ...PEFT_BAD_CASES(ws),
  // sweep configs
  {
    name: 'malformed JSON',
    args: () => ['sweep', '--config', config('malformed', '{"name": "x",', true), '--out', join(ws.dir, 'out-malformed'), ...ws.args],
    message: /malformed\.json.*(JSON|json)/,
  },
  { name: 'a config that is not an object', args: () => sweep('array', [1, 2]), message: /array\.json: .*expected object/ },
  { name: 'an unknown top-level key', args: () => sweep('unknown-key', withGood({ sede: [1] })), message: /Unrecognized key.*sede/ },
  {
    name: 'an unknown key in a method row',
    args: () => sweep('unknown-row-key', withGood({ methods: [{ method: 'sft', gird: {} }] })),
    message: /methods\[0\]: Unrecognized key.*gird/,
  },
  {
    name: 'a wrong type (seeds as a string)',
    args: () => sweep('wrong-type', withGood({ seeds: '1' })),
    message: /seeds: .*expected array/,
  },
  {
    name: 'a wrong type inside the training block',
    args: () => sweep('wrong-training', withGood({ training: { steps: 'many' } })),
    message: /training\.steps: .*expected number/,
  },
  {
    name: 'an empty grid list',
    args: () => sweep('empty-grid', row('lora', { rank: [] })),
    message: /methods\[0\]\.grid\.rank: expected at least one value/,
  },
  { name: 'no methods', args: () => sweep('no-methods', withGood({ methods: [] })), message: /methods: expected at least one method/ },
  { name: 'no seeds', args: () => sweep('no-seeds', withGood({ seeds: [] })), message: /seeds: expected at least one seed/ },
  {
    name: 'a non-integer seed',
    args: () => sweep('float-seed', withGood({ seeds: [1, 2.5] })),
    message: /seeds\[1\]: expected an integer seed/,
  },
  {
    name: 'an unknown method',
    args: () => sweep('unknown-method', row('lorra', {})),
    message: /methods\[0\]\.method: unknown method 'lorra'; installed: .*lora/,
  },
  {
    name: 'an unknown task',
    args: () => sweep('unknown-task', withGood({ tasks: ['wn-nope'] })),
    message: /tasks\[0\]: unknown task 'wn-nope'; available: (.*, )?wn-supersense/,
  },
  {
    name: 'an unknown model',
    args: () => sweep('unknown-model', withGood({ models: ['huge'] })),
    message: /models\[0\]: unknown model 'huge'; known: tiny, hf:<folder>, hf:<hub id>/,
  },
  {
    name: 'tunelab memory: an unknown model shape',
    args: () => ['memory', '--model', 'llama:13b', ...ws.args],
    message:
      /--model llama:13b: no such shape; allowed llama:7b, llama:70b, gpt3:175b, gpt2:124m, bert:base, a zoo name, or hf:<folder or hub id>/,
  },
  {
    name: 'tunelab memory: an unknown precision',
    args: () => ['memory', '--model', 'llama:7b', '--precision', 'fp16', ...ws.args],
    message: /--precision fp16: allowed fp32, bf16-mixed/,
  },
  {
    name: 'an unknown backend',
    args: () => sweep('unknown-backend', good, ['--backend', 'tpu']),
    message: /--backend: unknown backend 'tpu'; allowed: auto, tensorflow-gpu, webgpu, tensorflow, native, wasm, cpu/,
  },
  // Dawn asked for a backend this machine lacks (as on a box without a GPU or Mesa): webgpu cannot load
  {
    name: '--backend webgpu where no adapter loads',
    args: () => sweep('no-webgpu', good, ['--backend', 'webgpu']),
    env: { TUNELAB_WEBGPU_DAWN: 'backend=d3d12' },
    message: /--backend webgpu: cannot load it \(Dawn found no WebGPU adapter \(d3d12: no adapter\)\); use --backend auto/,
  },
  {
    name: 'LoRA rank 0',
    args: () => sweep('rank-0', row('lora', { rank: [0] })),
    message: /methods\[0\]\.grid\.rank\[0\]: method 'lora': .*>=1/,
  },
  {
    name: 'LoRA rank not an integer',
    args: () => sweep('rank-float', row('lora', { rank: [2.5] })),
    message: /methods\[0\]\.grid\.rank\[0\]: method 'lora': .*int/i,
  },
  {
    name: 'a prefix length of 0',
    args: () => sweep('prefix-0', row('ptuning-v2', { prefixLength: [0] })),
    message: /methods\[0\]\.grid\.prefixLength\[0\]: method 'ptuning-v2': .*>=1/,
  },
  {
    name: 'a prefix longer than the model has positions',
    args: () => sweep('prefix-long', row('ptuning-v2', { prefixLength: [4096] })),
    message: /methods\[0\]\.grid\.prefixLength\[0\]: .*(positions|does not fit)/,
  },
  {
    name: 'a frozen depth beyond the layers',
    args: () => sweep('freeze-deep', row('freeze', { trainableLayers: [3] })),
    message: /methods\[0\]\.grid\.trainableLayers\[0\]: freeze trainableLayers=3 does not fit model 'tiny'/,
  },
  {
    name: 'a frozen depth of 0',
    args: () => sweep('freeze-0', row('freeze', { trainableLayers: [0] })),
    message: /methods\[0\]\.grid\.trainableLayers\[0\]: method 'freeze': 0 trains no layer; allowed a positive N/,
  },
  // plugins
  {
    name: 'a plugin that throws on import',
    args: () => sweep('plugin-throws', withGood({ plugins: [join(FIX, 'throws.mjs')] })),
    message: /plugins\[0\]: .*throws\.mjs.*fixture: broken on import/,
  },
  {
    name: 'a plugin that exports nothing',
    args: () => sweep('plugin-empty', withGood({ plugins: [join(FIX, 'no-default.mjs')] })),
    message: /plugins\[0\]: .*no-default\.mjs.*default export/,
  },
  {
    name: 'a plugin for another core API',
    args: () => sweep('plugin-core', withGood({ plugins: [join(FIX, 'core-mismatch.mjs')] })),
    message: /plugins\[0\]: .*needs @tunelab\/core \^9\.0\.0 but .* is running/,
  },
  {
    name: 'a plugin whose id is taken',
    args: () => sweep('plugin-dup', withGood({ plugins: [join(FIX, 'duplicate-id.mjs')] })),
    message: /duplicate-id\.mjs.*'lora'.*(already|taken)/,
  },
  {
    name: 'a plugin whose schema is not strict',
    args: () => sweep('plugin-loose', withGood({ plugins: [join(FIX, 'loose-schema.mjs')] })),
    message: /plugins\[0\]: method plugin .*loose-schema\.mjs.*: schema is not strict/,
  },
  {
    name: 'a plugin with a schema field without a default',
    args: () => train(['--method', 'sft', '--plugin', join(FIX, 'no-field-default.mjs')]),
    message: /--plugin: method plugin .*no-field-default\.mjs.*: schema field 'rank' has no default/,
  },
  {
    name: 'a plugin with a schema field without a description',
    args: () => sweep('plugin-nodesc', withGood({ plugins: [join(FIX, 'no-field-description.mjs')] })),
    message: /plugins\[0\]: method plugin .*no-field-description\.mjs.*: schema field 'rank' has no description/,
  },
  {
    name: 'a plugin whose parameters are not named <paramPrefix>.*',
    args: () => sweep('plugin-badname', withGood({ plugins: [join(FIX, 'bad-param-name.mjs')] })),
    message: /plugins\[0\]: method plugin .*bad-param-name\.mjs.*: parameter 'scale\.layers\.0' is not named 'fixture_badname\.<\.\.\.>'/,
  },
  {
    name: "a --set value a plugin's list field cannot take",
    args: () => train(['--method', 'fixture-list', '--plugin', join(FIX, 'list-field.mjs'), '--set', 'targets=query']),
    message: /method 'fixture-list': params\.targets\[0\]: /,
  },
  {
    name: 'a plugin path that does not exist',
    args: () => sweep('plugin-missing', withGood({ plugins: ['./no-such-plugin.mjs'] })),
    message: /plugins\[0\]: cannot load '\.\/no-such-plugin\.mjs'/,
  },
  // output paths written by a config (it may come from someone else)
  {
    name: "a config's out that climbs out with ..",
    args: () => ['sweep', '--config', config('escape-dots', withGood({ out: '../outside' })), '--workers', '1', ...ws.args],
    message: /out: "\.\.\/outside" leaves the workspace through '\.\.'/,
    cwd: home,
  },
  {
    name: "a config's out through a symlink that leads outside",
    args: () => ['sweep', '--config', config('escape-link', withGood({ out: 'reports/link/x' })), '--workers', '1', ...ws.args],
    message: /out: "reports\/link\/x" leads out of the workspace through a symlink/,
    cwd: home,
  },
  // checkpoints
  {
    name: 'a truncated checkpoint',
    args: () => withCache(train(['--method', 'sft']), tampered('truncated')),
    message:
      /model\.safetensors: SHA-256 .* does not match the recorded .*\(corrupt or tampered\); rebuild it with: tunelab pretrain --size tiny --force/,
  },
  {
    name: 'a tampered checkpoint (one byte changed)',
    args: () => withCache(train(['--method', 'sft']), tampered('flipped')),
    message: /model\.safetensors: SHA-256 .* does not match/,
  },
  {
    name: 'a checkpoint config that is not JSON',
    args: () => withCache(train(['--method', 'sft']), tampered('badconfig')),
    message: /config\.json.*(JSON|json)/,
  },
  // data files
  {
    name: 'a data file with a missing label',
    args: () => train(['--method', 'sft'], dataTask('no-label')),
    message: /train\.jsonl:2: field "label" is missing/,
  },
  {
    name: 'a test split with a label train does not have',
    args: () => train(['--method', 'sft'], dataTask('unknown-label')),
    message: /test\.jsonl:1: label "maybe" does not occur in the training file/,
  },
  {
    name: 'a data file with an empty text',
    args: () => train(['--method', 'sft'], dataTask('empty-text')),
    message: /train\.jsonl:3: field "text" is empty/,
  },
  {
    name: 'a data file that is not UTF-8',
    args: () => train(['--method', 'sft'], dataTask('latin1')),
    message: /train\.jsonl:2: the text is not valid UTF-8 \(byte \d+\)/,
  },
  {
    name: 'a data file that does not exist',
    args: () => train(['--method', 'sft'], `file:${join(DATA, 'nowhere.jsonl')}`),
    message: /nowhere\.jsonl: file not found/,
  },
  // flags
  { name: 'a malformed --set', args: () => train(['--method', 'sft', '--set', 'rank']), message: /--set rank: expected key=value/ },
  { name: 'zero training steps', args: () => train(['--method', 'sft', '--set', 'steps=0']), message: /training\.steps: .*>=1/ },
  { name: 'an unknown flag', args: () => train(['--method', 'sft', '--stepz', '3']), message: /Unknown argument: stepz/ },
  {
    name: 'new-method into a folder that is not empty',
    args: () => ['new-method', ws.dir],
    message: /new-method: .* already exists and is not empty; choose a new folder/,
  },
  // stacked methods (issue 15)
  {
    name: 'the same method stacked twice',
    args: () => train(['--method', 'lora+lora']),
    message: /--method lora\+lora: 'lora' is listed twice \(positions 0 and 1\); a stack takes each method once/,
  },
  {
    name: 'an unknown method in a stack',
    args: () => train(['--method', 'lora+lorra']),
    message: /--method lora\+lorra: unknown method 'lorra'; installed: .*ptuning-v2/,
  },
  {
    name: 'SFT stacked with another method',
    args: () => train(['--method', 'sft+lora']),
    message: /--method sft\+lora: 'sft' trains every backbone weight, so nothing stays frozen for 'lora'; run 'sft' on its own/,
  },
  {
    name: 'an unqualified --set with stacked methods',
    args: () => train(['--method', 'lora+ptuning-v2', '--set', 'rank=2']),
    message: /--set rank: 'lora\+ptuning-v2' stacks methods, so name the method the setting is for: lora\.rank or ptuning-v2\.rank/,
  },
  {
    name: 'a --set for a method the stack does not have',
    args: () => train(['--method', 'lora+ptuning-v2', '--set', 'freeze.trainableLayers=1']),
    message: /--set freeze\.trainableLayers: 'freeze' is not one of the stacked methods \(lora, ptuning-v2\)/,
  },
  {
    name: "a stacked method's value out of range",
    args: () => train(['--method', 'lora+ptuning-v2', '--set', 'ptuning-v2.prefixLength=0']),
    message: /method 'lora\+ptuning-v2': params\.ptuning-v2\.prefixLength: .*>=1/,
  },
  {
    name: "a stacked method's value that does not fit the model",
    args: () => train(['--method', 'lora+ptuning-v2', '--set', 'lora.rank=64']),
    message: /method 'lora\+ptuning-v2': params\.lora\.rank: 64 exceeds min\(d_in, d_out\) = 16/,
  },
  {
    name: 'a stacked sweep row listing a method twice',
    args: () => sweep('stack-dup', withGood({ methods: [{ method: ['lora', 'lora'], grid: {} }] })),
    message: /methods\[0\]\.method\[1\]: 'lora' is listed twice/,
  },
  {
    name: 'a stacked sweep row with an unqualified param',
    args: () => sweep('stack-unqualified', withGood({ methods: [{ method: ['lora', 'ptuning-v2'], grid: { prefixLength: [4] } }] })),
    message:
      /methods\[0\]\.grid\.prefixLength: 'lora\+ptuning-v2' stacks methods, so name the method the setting is for: lora\.prefixLength or ptuning-v2\.prefixLength/,
  },
  // tunelab eval: adapters that do not fit the base or the installed methods
  {
    name: 'eval of an adapter saved for another base checkpoint',
    args: () => evalArgs(adapterFolder('other-base', {})),
    message:
      /--adapter .*adapter-other-base: saved for base checkpoint ffffffffffff…, but --model tiny is [0-9a-f]{12}…; evaluate it on the base it was trained on/,
  },
  {
    name: 'eval of an adapter saved by another method version',
    args: () => evalArgs(adapterFolder('other-version', { version: '9.9.9' })),
    message:
      /--adapter .*adapter-other-version: it was saved by method 'lora' @tunelab\/method-lora@9\.9\.9, but @tunelab\/method-lora@\d+\.\d+\.\d+ is installed/,
  },
  {
    name: 'eval without a saved adapter there',
    args: () => evalArgs(join(ws.dir, 'no-adapter-here')),
    message: /--adapter .*no-adapter-here: .*adapter_config\.json/,
  },
  // records
  {
    name: 'verify on a folder without results',
    args: () => ['verify', '--in', join(ws.dir, 'no-results'), ...ws.args],
    message: /no results\*\.jsonl files there/,
  },
  {
    name: 'verify on a folder that holds no records',
    args: () => ['verify', '--in', join(DATA, 'not-records'), ...ws.args],
    message: /results\.jsonl:1: not a tunelab record/,
  },
];

/** Build every file the cases read (once, before the runner). */
export async function prepareCatalogue(): Promise<void> {
  // one real tiny checkpoint, then damaged copies of it
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await main(['pretrain', '--size', 'tiny', ...ws.args]);
  spy.mockRestore();
  expect(code).toBe(0);
  for (const name of ['truncated', 'flipped', 'badconfig']) cpSync(ws.cache, join(ws.dir, `cache-${name}`), { recursive: true });
  const weights = (n: string) => join(ws.dir, `cache-${n}`, 'models', 'tiny', 'model.safetensors');
  truncateSync(weights('truncated'), 1000);
  const bytes = readFileSync(weights('flipped'));
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x40;
  writeFileSync(weights('flipped'), bytes);
  writeFileSync(join(ws.dir, 'cache-badconfig', 'models', 'tiny', 'config.json'), '{"format": "tunelab-checkpoint",');

  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `example number ${i}`, label: i % 2 ? 'yes' : 'no' }));
  const put = (dir: string, file: string, text: string | Buffer) => (
    mkdirSync(join(DATA, dir), { recursive: true }),
    writeFileSync(join(DATA, dir, file), text)
  );
  put('no-label', 'train.jsonl', jsonl([{ text: 'a', label: 'x' }, { text: 'b' }]));
  put('unknown-label', 'train.jsonl', jsonl(rows(40)));
  put('unknown-label', 'test.jsonl', jsonl([{ text: 'new', label: 'maybe' }]));
  put('unknown-label', 'dev.jsonl', jsonl(rows(4)));
  put(
    'empty-text',
    'train.jsonl',
    jsonl([
      { text: 'a', label: 'x' },
      { text: 'b', label: 'y' },
      { text: '  ', label: 'x' },
    ]),
  );
  put(
    'latin1',
    'train.jsonl',
    Buffer.concat([Buffer.from('{"text": "ok", "label": "a"}\n{"text": "caf'), Buffer.from([0xe9]), Buffer.from('", "label": "b"}\n')]),
  );
  put('not-records', 'results.jsonl', '{"hello": "world"}\n');
  mkdirSync(join(ws.dir, 'no-results'), { recursive: true });

  mkdirSync(join(home, 'configs'), { recursive: true });
  copyFileSync(ws.zoo, join(home, 'configs', 'zoo.json'));
  mkdirSync(join(home, 'reports'), { recursive: true });
  mkdirSync(join(ws.dir, 'elsewhere'), { recursive: true });
  symlinkSync(join(ws.dir, 'elsewhere'), join(home, 'reports', 'link'));
  makeBadHfFolders(ws);
  await hubBad.setup();
  makeHostileInputs(ws);
  writeFileSync(join(ws.dir, 'hostile-good.json'), JSON.stringify(good));
  makePeftBadFolders(ws);
}

/** Stop the local hub server the hub cases talk to. */
export const closeCatalogue = () => hubBad.close();
