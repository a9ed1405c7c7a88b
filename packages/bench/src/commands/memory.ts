import { PRECISIONS, UserError, type MemoryBreakdown, type Precision } from '@tunelab/core/internal';
import type { Argv } from 'yargs';
import { formatBytes } from '../memory/format.js';
import { methodMemory, namedMemoryModel, type MemoryModel, type MethodMemory } from '../memory/estimate.js';
import { sourceContext, parseSetValue } from '../trial/index.js';
import { commonOptions, makeEnv, parseSets, type CommonArgs } from './common.js';

const n = (x: number) => x.toLocaleString('en-US');

function positiveInt(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new UserError(`--${flag}: must be an integer >= 1 (got ${String(v)})`);
  return v;
}

function breakdownText(m: MethodMemory, model: MemoryModel): string[] {
  const share = ((100 * m.trainable) / model.params).toFixed(2);
  const lines = [`${m.method}  trainable ${n(m.trainable)} (${share}% of the backbone)  params ${JSON.stringify(m.params)}`];
  for (const t of m.breakdown.terms) lines.push(`  ${t.name.padEnd(15)} ${formatBytes(t.bytes).padStart(10)}   ${t.formula}`);
  lines.push(`  ${'total'.padEnd(15)} ${formatBytes(m.total).padStart(10)}`);
  return lines;
}

function text(model: MemoryModel, o: { batch: number; seq: number; precision: Precision }, rows: MethodMemory[]): string {
  const model0: MemoryBreakdown = rows[0]!.breakdown;
  const base = rows.find((r) => r.method === 'sft');
  const lines = [
    `model        ${model.name}${model.description ? `: ${model.description}` : ''}`,
    `             ${n(model.params)} backbone parameters; batch ${o.batch}, sequence ${o.seq}, precision ${o.precision}`,
    `activations  ${model0.activationModel}`,
    '',
    ...rows.flatMap((r) => [...breakdownText(r, model), '']),
  ];
  if (base && rows.length > 1) {
    lines.push('against sft');
    for (const r of rows) {
      const d = 1 - r.total / base.total;
      const change = Math.abs(d) < 5e-4 ? 'the same' : `${(100 * Math.abs(d)).toFixed(1)}% ${d > 0 ? 'less' : 'more'}`;
      lines.push(`  ${r.method.padEnd(12)} ${formatBytes(r.total).padStart(10)}  ${(r.total / base.total).toFixed(3)} x  (${change})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `tunelab memory`: the analytic training-memory breakdown of each method on a model or a named shape. */
export function memoryCommand(y: Argv) {
  return y.command(
    'memory',
    'analytic training memory per method: weights, gradients, optimizer state, activations, with the formulas (docs/memory.md)',
    (b) =>
      commonOptions(b)
        .option('model', {
          type: 'string',
          demandOption: true,
          describe: 'zoo name, hf:<folder or hub id>, or a shape: llama:7b, llama:70b, gpt3:175b, gpt2:124m, bert:base',
        })
        .option('method', { type: 'string', default: 'all', describe: "method id, or 'all' (every installed method with a closed form)" })
        .option('batch', { type: 'number', describe: 'examples per step (default 8; 1 for a named shape)' })
        .option('seq', { type: 'number', describe: "tokens per example (default the model's fine-tuning length; a named shape's context)" })
        .option('precision', {
          type: 'string',
          default: 'fp32',
          describe: 'fp32 (what tunelab runs) | bf16-mixed (bf16 weights and gradients, fp32 master copy and AdamW moments)',
        })
        .option('set', { type: 'string', array: true, describe: 'method param, key=value (with one --method); repeatable' })
        .option('json', { type: 'boolean', default: false, describe: 'print the breakdowns as JSON' }),
    async (a) => {
      const precision = a.precision as string;
      if (!(PRECISIONS as readonly string[]).includes(precision))
        throw new UserError(`--precision ${precision}: allowed ${PRECISIONS.join(', ')}`);
      const env = await makeEnv(a as CommonArgs);
      const spec = a.model as string;
      const named = namedMemoryModel(spec);
      const model: MemoryModel = named ?? (await blueprintModel(env, spec));
      const batch = positiveInt('batch', a.batch) ?? (named ? 1 : 8);
      const seq = positiveInt('seq', a.seq) ?? model.sequenceLength;
      const set = parseSets(a.set, parseSetValue);
      const all = a.method === 'all';
      if (all && Object.keys(set).length) throw new UserError("--set: needs one --method (the params are that method's)");
      const ids = all ? env.registry.ids().filter((id) => env.registry.get(id).expectedParams) : [a.method];
      for (const id of ids)
        if (!env.registry.has(id)) throw new UserError(`--method ${id}: unknown method; allowed ${env.registry.ids().join(', ')} or all`);
      const o = { batch, seq, precision: precision as Precision };
      const rows = ids.map((id) => methodMemory(env.registry, id, set, model, o));
      process.stdout.write(a.json ? `${JSON.stringify({ model, ...o, methods: rows }, null, 2)}\n` : text(model, o, rows));
    },
  );
}

async function blueprintModel(env: Awaited<ReturnType<typeof makeEnv>>, spec: string): Promise<MemoryModel> {
  const bp = await env.models.source(spec).blueprint(spec, sourceContext(env, false));
  return { name: spec, shape: bp.shape, params: bp.params, sequenceLength: bp.sequenceLength };
}
