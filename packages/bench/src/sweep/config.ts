import { UserError, formatZodError, readJsonFile, trainingSchema } from '@tunelab/core/internal';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { PluginRequest } from '../plugins.js';
import { checkpointSchema } from '../resume.js';

const atLeastOne = (what: string) => `expected at least one ${what} (an empty list makes the sweep empty)`;
const name = z.string({ error: 'expected a name' }).min(1, 'expected a non-empty name');

/** Successive halving (see sweep/halving.ts): settings of a row compete at rungs of minSteps·η^k. */
const pruneSchema = z
  .object({
    type: z.literal('successive-halving', { error: "expected 'successive-halving' (the only pruner)" }),
    reductionFactor: z
      .number()
      .int('expected an integer')
      .min(2, 'expected at least 2')
      .max(100)
      .default(3)
      .describe('η: keep the best 1/η of the settings at each rung'),
    minSteps: z
      .number()
      .int('expected an integer')
      .min(1, 'expected at least 1')
      .describe('the first rung, in optimizer steps (a multiple of training.evalEvery)'),
  })
  .strict();

/**
 * One row of the sweep: a method and the values to try. Grid keys are the method's params or
 * training keys (lr, steps, ...); each value list is tried in full (cartesian product). `models`
 * narrows the row to some sizes, for grids that depend on the model (frozen depth 1..L); `tasks`
 * to some tasks (one sweep compares encoders on classification and decoders on generation), and
 * `prune` gives the row its own successive halving in place of the sweep's.
 * `method` may list several methods to stack them in one trial (`["lora", "ptuning-v2"]`, or the
 * id `lora+ptuning-v2`); the row's method params are then `<method id>.<param>` (`lora.rank`).
 */
const methodEntry = z
  .object({
    $comment: z.string().optional(),
    method: z.union(
      [name, z.array(name, { error: 'expected a method id or a list of method ids to stack' }).min(1, atLeastOne('method'))],
      {
        error: 'expected a method id or a list of method ids to stack',
      },
    ),
    grid: z
      .record(
        z.string().min(1),
        z.array(z.unknown(), { error: 'expected a list of values to try' }).min(1, atLeastOne('value')) as z.ZodType<unknown[]>,
      )
      .default({}),
    models: z.array(name).min(1, atLeastOne('model')).optional(),
    tasks: z.array(name).min(1, atLeastOne('task')).optional(),
    /** this row's own successive halving (its budget and dev points may differ from the sweep's) */
    prune: pruneSchema.optional(),
  })
  .strict();

export const sweepConfigSchema = z
  .object({
    $comment: z.string().optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, dot, dash or underscore (it names the output folder)'),
    tasks: z.array(name).min(1, atLeastOne('task')),
    models: z.array(name).min(1, atLeastOne('model')),
    seeds: z.array(z.number({ error: 'expected an integer seed' }).int('expected an integer seed')).min(1, atLeastOne('seed')),
    /** settings for every trial; a grid key of the same name overrides it */
    training: trainingSchema.prefault({}),
    methods: z.array(methodEntry).min(1, atLeastOne('method')),
    /** stop the worse settings of each row early (absent: every trial runs to its budget) */
    prune: pruneSchema.optional(),
    /** when running trials save their state, to resume after a kill (resume.ts); not part of trial ids */
    checkpoint: checkpointSchema.prefault({}),
    /** output folder, relative to the workspace and confined to it (default reports/<name>; --out overrides) */
    out: z.string().min(1, 'expected a non-empty path').optional(),
    /** extra method plugin modules: package names, or paths relative to this file */
    plugins: z.array(name).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    // a repeated seed/model/task would run the same trial twice
    for (const key of ['tasks', 'models', 'seeds'] as const) {
      const seen = new Map<unknown, number>();
      c[key].forEach((v: unknown, i: number) => {
        const first = seen.get(v);
        if (first !== undefined)
          ctx.addIssue({ code: 'custom', path: [key, i], message: `duplicate of ${key}[${first}] (${JSON.stringify(v)})` });
        else seen.set(v, i);
      });
    }
  });

export type SweepConfig = z.output<typeof sweepConfigSchema>;
export type MethodEntry = SweepConfig['methods'][number];

/** A row's method as one id: a listed stack's ids joined by '+' (one listed method is that method). */
export function entryMethodId(entry: Pick<MethodEntry, 'method'>): string {
  return typeof entry.method === 'string' ? entry.method : entry.method.join('+');
}

/** Validate a parsed JSON value; every problem names its path (`methods[2].grid.rank: ...`). */
export function parseSweepConfig(raw: unknown, source: string): SweepConfig {
  const r = sweepConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  return r.data;
}

export async function loadSweepConfig(path: string): Promise<SweepConfig> {
  return parseSweepConfig(await readJsonFile(path, 'sweep config'), path);
}

/**
 * The config's plugins as load requests: a path is relative to the config file and a package
 * name is looked up in node_modules from the config's folder upwards, so a config works from any
 * working directory and finds the packages of the project it sits in.
 */
export function configPlugins(plugins: readonly string[], configPath: string): PluginRequest[] {
  const base = dirname(resolve(configPath));
  return plugins.map((spec, i) => ({ spec, base, where: `plugins[${i}]` }));
}
