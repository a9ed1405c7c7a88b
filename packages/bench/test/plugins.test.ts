import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUserError } from '@tunelab/core/internal';
import { describe, expect, it } from 'vitest';
import { loadMethods, type PluginRequest } from '../src/methods.js';
import { tinyWorkspace, tunelab } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const at = (spec: string, where = '--plugin'): PluginRequest => ({ spec, base: FIXTURES, where });

async function loadError(reqs: PluginRequest[]): Promise<string> {
  const error = await loadMethods(reqs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUserError(error), `expected a UserError, got ${String(error)}`).toBe(true);
  const message = (error as Error).message;
  expect(message.split('\n')).toHaveLength(1); // one line
  return message;
}

/** Each bad plugin: one line naming the package/path and what to change. */
const cases: [string, string, RegExp][] = [
  [
    'a path that does not exist',
    './missing.mjs',
    /^--plugin: cannot load '\.\/missing\.mjs': \/.*\/fixtures\/plugins\/missing\.mjs does not exist; fix the path/,
  ],
  [
    'a package that is not installed',
    '@someone/method-x',
    /^--plugin: cannot load '@someone\/method-x': no package '@someone\/method-x' in node_modules from .*fixtures\/plugins\/ upwards; install it in your project \(npm install @someone\/method-x\)/,
  ],
  [
    'a package folder whose entry is not built',
    './unbuilt',
    /^--plugin: cannot load '\.\/unbuilt': its entry .*unbuilt\/dist\/index\.js \(package\.json main\) does not exist; build the package first/,
  ],
  [
    'a module that throws on import',
    './throws.mjs',
    /^--plugin: cannot load '\.\/throws\.mjs' \(\/.*throws\.mjs\): importing it threw fixture: broken on import; fix the module/,
  ],
  [
    'a module with a syntax error',
    './syntax.mjs',
    /^--plugin: cannot load '\.\/syntax\.mjs' \(.*\): importing it threw .+; fix the module/,
  ],
  [
    'a missing default export',
    './no-default.mjs',
    /^--plugin: method plugin '\.\/no-default\.mjs' \(.*no-default\.mjs\): no default export; export the method object as `export default \{ meta, schema, apply \}` \(or, for a plugin of model families, tasks or trainers only, a `containerModule`\) \(it exports 'method'; 'method' is shaped \{ meta, schema, apply \}: add `export default method`\)$/,
  ],
  [
    'a missing default export, the method not the first export',
    './misnamed-default.mjs',
    /^--plugin: method plugin .*: no default export; .*\(it exports 'VERSION', 'lnfit'; 'lnfit' is shaped \{ meta, schema, apply \}: add `export default lnfit`\)$/,
  ],
  [
    'a schema that is not strict',
    './loose-schema.mjs',
    /^--plugin: method plugin '\.\/loose-schema\.mjs' \(.*\): schema is not strict: an unknown key is accepted .*; end it with \.strict\(\)$/,
  ],
  [
    'a schema field without a default',
    './no-field-default.mjs',
    /^--plugin: method plugin '\.\/no-field-default\.mjs' \(.*\): schema field 'rank' has no default; add \.default\(\.\.\.\) so that an empty config parses$/,
  ],
  [
    'a schema field without a description',
    './no-field-description.mjs',
    /^--plugin: method plugin '\.\/no-field-description\.mjs' \(.*\): schema field 'rank' has no description; add \.describe\(/,
  ],
  [
    'a parameter outside meta.paramPrefix',
    './bad-param-name.mjs',
    /^--plugin: method plugin '\.\/bad-param-name\.mjs' \(.*\): parameter 'scale\.layers\.0' is not named 'fixture_badname\.<\.\.\.>' \(meta\.paramPrefix 'fixture_badname'\); rename the parameters it creates$/,
  ],
  [
    'a malformed default export',
    './malformed.mjs',
    /^--plugin: method plugin '\.\/malformed\.mjs' \(.*\): missing `apply\(context\)` function$/,
  ],
  [
    'a malformed meta',
    './bad-meta.mjs',
    /^--plugin: method plugin '\.\/bad-meta\.mjs' \(.*\): meta\.id must be lower-case letters, digits and '-' \(got "Fixture Method"\)$/,
  ],
  [
    'a core API range that excludes the running core',
    './core-mismatch.mjs',
    /^--plugin: method plugin '\.\/core-mismatch\.mjs' \(.*\): needs @tunelab\/core \^9\.0\.0 but 0\.2\.0 is running; install a matching version of the plugin or of core$/,
  ],
  [
    'a duplicate method id',
    './duplicate-id.mjs',
    /^--plugin: method plugin '\.\/duplicate-id\.mjs' \(.*\): method id 'lora' is already provided by @tunelab\/method-lora \(built-in\); change meta\.id$/,
  ],
  [
    'a parameter prefix already taken',
    './duplicate-prefix.mjs',
    /^--plugin: method plugin '\.\/duplicate-prefix\.mjs' \(.*\): meta\.paramPrefix 'lora' is already used by method 'lora' of @tunelab\/method-lora \(built-in\); choose another meta\.paramPrefix$/,
  ],
  [
    'a containerModule that is not a ContainerModule',
    './bad-container-module.mjs',
    /^--plugin: method plugin '\.\/bad-container-module\.mjs' \(.*\): the named export `containerModule` must be an inversify ContainerModule .*got an object with keys bind$/,
  ],
  [
    'a containerModule that throws while binding',
    './throwing-container-module.mjs',
    /^--plugin: method plugin .*: its `containerModule` failed to load: fixture: cannot bind; fix its load function/,
  ],
];

describe('plugin loading errors (in process): one line naming the module and what to change', () => {
  it.each(cases)('%s', async (_name, spec, message) => {
    expect(await loadError([at(spec)])).toMatch(message);
  });
});

describe('the contract at load time', () => {
  it('each rule failure carries the stable code E_PLUGIN_CONTRACT', async () => {
    for (const spec of [
      './loose-schema.mjs',
      './no-field-default.mjs',
      './no-field-description.mjs',
      './bad-param-name.mjs',
      './malformed.mjs',
    ]) {
      const e = await loadMethods([at(spec)]).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect((e as { code?: string }).code, spec).toBe('E_PLUGIN_CONTRACT');
    }
  });

  it('a good plugin loads and frees what the parameter-name probe made', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await loadMethods([at('./good')]); // warm: the backend and the built-ins' modules
    const before = tf.memory().numTensors;
    await loadMethods([at('./good'), at('./bad-param-name.mjs')]).catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an error inside apply names the method (a bug keeps its cause)', async () => {
    const { registry } = await loadMethods([at('./apply-throws.mjs')]);
    const { applyMethod, Encoder, rngStreams } = await import('@tunelab/core');
    const { TINY_ENCODER } = await import('@tunelab/core/testing');
    const model = Encoder.init(TINY_ENCODER, rngStreams(0).init);
    try {
      const config = registry.parseParams('fixture-applythrows', { crash: true });
      const ctx = { model, config, rng: rngStreams(0).init, task: { kind: 'classification' as const, numLabels: 2 }, sequenceLength: 8 };
      const e = (() => {
        try {
          applyMethod(registry.get('fixture-applythrows'), ctx);
        } catch (x) {
          return x as Error;
        }
        return undefined;
      })();
      expect(e?.message).toBe(
        'method \'fixture-applythrows\' (@fixture/method): apply threw: cannot read properties of undefined (reading "weight")',
      );
      expect((e?.cause as Error).name).toBe('TypeError');
    } finally {
      model.dispose();
    }
  });

  it('--set for a list-only field: a single value becomes a one-element list', async () => {
    const { registry } = await loadMethods([at('./list-field.mjs')]);
    expect(registry.parseParams('fixture-list', { targets: 'value' })).toEqual({ targets: ['value'] });
    expect(registry.parseParams('fixture-list', { targets: ['key', 'value'] })).toEqual({ targets: ['key', 'value'] });
    // a field that takes a value or a list keeps the value (LoRA's targets)
    expect(registry.parseParams('lora', { targets: 'query' }).targets).toBe('query');
    // a value the list would not take either is still an error naming the field, with a stable code
    const e = (() => {
      try {
        registry.parseParams('fixture-list', { targets: 'query' });
      } catch (x) {
        return x as { message: string; code?: string; path?: string };
      }
      return undefined;
    })();
    expect(e).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'params.targets[0]' });
    expect(e!.message).toMatch(/^method 'fixture-list': params\.targets\[0\]: /);
    // a value of another type entirely is not wrapped
    expect(() => registry.parseParams('fixture-list', { targets: 3 })).toThrow(/params\.targets\[0\]|params\.targets: /);
  });
});

describe('plugin loading', () => {
  it('loads a path, a package folder and the same module twice (once), by the request base', async () => {
    const { registry, loaded } = await loadMethods([at('./good'), at('./good/index.mjs'), at('./with-container-module.mjs', 'plugins[0]')]);
    const good = loaded.filter((m) => m.plugin.meta.id === 'fixture-good');
    expect(good).toHaveLength(1);
    expect(good[0]).toMatchObject({ from: './good', builtin: false, path: realpathSync(join(FIXTURES, 'good', 'index.mjs')) });
    expect(registry.ids()).toEqual(expect.arrayContaining(['fixture-good', 'fixture-main', 'fixture-extra', 'lora', 'sft']));
  });

  it("loads a plugin's containerModule into the container: its methods join the registry, its services resolve", async () => {
    const { registry, loaded, container } = await loadMethods([at('./with-container-module.mjs')]);
    expect(registry.get('fixture-extra').meta.packageName).toBe('@fixture/method-suite');
    expect(loaded.find((m) => m.plugin.meta.id === 'fixture-extra')).toMatchObject({ from: './with-container-module.mjs', builtin: false });
    expect(container.get(Symbol.for('@fixture/Greeting'))).toBe('hello from a plugin');
  });

  it("binds a plugin's trainer: `training.trainer` picks it, an unknown one is an error naming the installed ones", async () => {
    const { trainers } = await loadMethods([at('./with-trainer.mjs')]);
    expect(trainers.map((t) => t.id)).toEqual(['adamw', 'half-budget']);
    const ws = tinyWorkspace();
    const run = (trainer: string) =>
      tunelab(
        [
          'train',
          '--method',
          'lora',
          '--model',
          'tiny',
          '--task',
          'wn-supersense',
          '--steps',
          '6',
          '--set',
          'evalLimit=8',
          '--set',
          `trainer=${trainer}`,
          '--plugin',
          './with-trainer.mjs',
          '--json',
          ...ws.args,
        ],
        { cwd: FIXTURES },
      );
    const r = run('half-budget');
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(rec.training.trainer).toBe('half-budget');
    expect(rec.steps).toBe(3);
    const bad = run('fp16');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("tunelab: training.trainer: no trainer 'fp16' (installed: adamw, half-budget)");
  });

  it('two different modules with one id: the second names the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelab-plugins-'));
    cpSync(join(FIXTURES, 'good'), join(dir, 'a'), { recursive: true });
    cpSync(join(FIXTURES, 'good'), join(dir, 'b'), { recursive: true });
    const msg = await loadError([
      { spec: './a', base: dir, where: 'plugins[0]' },
      { spec: './b', base: dir, where: 'plugins[1]' },
    ]);
    expect(msg).toMatch(
      /^plugins\[1\]: method plugin '\.\/b' \(.*\/b\/index\.mjs\): method id 'fixture-good' is already provided by @fixture\/method-good \('\.\/a' \(.*\/a\/index\.mjs\)\); change meta\.id$/,
    );
  });
});

describe('the CLI: exit 2, one line, nothing written, before any training', () => {
  const ws = tinyWorkspace();

  it.each([
    ['train', './core-mismatch.mjs', /needs @tunelab\/core \^9\.0\.0/],
    ['train', './duplicate-prefix.mjs', /meta\.paramPrefix 'lora' is already used/],
    ['methods', './throws.mjs', /importing it threw fixture: broken on import/],
  ])('%s --plugin %s', (command, spec, message) => {
    const args =
      command === 'train' ? ['train', '--method', 'sft', '--model', 'tiny', '--task', 'wn-supersense', ...ws.args] : ['methods', '--json'];
    const r = tunelab([...args, '--plugin', spec], { cwd: FIXTURES });
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(join(ws.cache, 'models')), 'nothing pretrained').toBe(false);
  });

  it('a sweep whose config names a bad plugin: the config path and plugins[i], no output folder', () => {
    const config = join(ws.dir, 'bad-plugin.json');
    // relative to the config file, wherever the working directory is
    const spec = relative(ws.dir, join(FIXTURES, 'no-default.mjs'));
    writeFileSync(
      config,
      JSON.stringify({
        name: 'bad',
        tasks: ['wn-supersense'],
        models: ['tiny'],
        seeds: [1],
        methods: [{ method: 'sft' }],
        plugins: [spec],
      }),
    );
    const out = join(ws.dir, 'out-bad');
    const r = tunelab(['sweep', '--config', config, '--out', out, ...ws.args]);
    expect(r.stderr).toMatch(
      /^tunelab: .*bad-plugin\.json: plugins\[0\]: method plugin '\.\..*no-default\.mjs' \(\/.*\): no default export/,
    );
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(ws.cache, 'models'))).toBe(false);
  });

  it('methods --json: a package resolved from the working directory (the project), with its file, version and built-in flag', () => {
    const project = mkdtempSync(join(tmpdir(), 'tunelab-project-'));
    const pkg = join(project, 'node_modules', '@someone', 'method-x');
    mkdirSync(join(project, 'node_modules', '@someone'), { recursive: true });
    cpSync(join(FIXTURES, 'good'), pkg, { recursive: true });
    // zod for the plugin: the project has its own install, as a real project would
    cpSync(fileURLToPath(new URL('../../../node_modules/zod', import.meta.url)), join(project, 'node_modules', 'zod'), {
      recursive: true,
      dereference: true,
    });
    const r = tunelab(['methods', '--json', '--plugin', '@someone/method-x'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; version: string; package: string; from: string; path: string; builtin: boolean }[];
    expect(rows.find((x) => x.id === 'fixture-good')).toEqual(
      expect.objectContaining({
        version: '1.0.0',
        package: '@fixture/method-good',
        from: '@someone/method-x',
        path: realpathSync(join(pkg, 'index.mjs')),
        builtin: false,
      }),
    );
    const lora = rows.find((x) => x.id === 'lora')!;
    expect(lora).toMatchObject({ builtin: true, package: '@tunelab/method-lora', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(lora.path).toMatch(/method-lora\/dist\/index\.js$/);
    // from anywhere else the same name is not found: resolution is the project's, not tunelab's
    const elsewhere = tunelab(['methods', '--plugin', '@someone/method-x'], { cwd: tmpdir() });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/no package '@someone\/method-x' in node_modules from/);
  });
});
