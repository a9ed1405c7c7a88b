import type { ModelDescription } from '@tunelab/core/internal';
import type { Argv } from 'yargs';
import { sourceContext } from '../trial/index.js';
import { commonOptions, makeEnv, type CommonArgs } from './common.js';

const n = (x: number) => x.toLocaleString('en-US');

function text(d: ModelDescription): string {
  const s = d.shape;
  const lines = [
    `model       ${d.name} (${d.family})`,
    `shape       ${s.layers} layers, hidden ${s.hidden}, ${s.heads} heads (${s.kvHeads} key/value, head_dim ${s.headDim}), FFN ${s.ffnWidth}, ${s.norm}, ${s.causal ? 'causal' : 'bidirectional'}, ${s.maxPositions} positions, vocabulary ${n(s.vocabSize)}`,
    `parameters  ${n(d.params)}`,
    `weights     sha256 ${d.identity.sha256}${d.identity.revision ? `, revision ${d.identity.revision}` : ''}${d.identity.source ? `, from ${d.identity.source}` : ''}`,
    ...(d.identity.files ?? []).map((f) => `            ${f.file}: ${n(f.bytes)} bytes, sha256 ${f.sha256.slice(0, 16)}…`),
    `tokenizer   ${d.tokenizer.type}, ${n(d.tokenizer.vocabSize)} tokens, from ${d.tokenizer.source}`,
    `            special: ${Object.entries(d.tokenizer.specials)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `used        ${Object.keys(d.used).length} checkpoint tensors`,
    ...Object.entries(d.used).map(([name, key]) => `            ${name.padEnd(28)} <- ${key}`),
    `ignored     ${d.ignored.length ? '' : 'none'}`,
    ...d.ignored.map((i) => `            ${i.key} (${i.dtype} [${i.shape}])`),
    `initialised ${d.initialised.length ? `${d.initialised.join(', ')} (not in the checkpoint: seeded random, as transformers starts them)` : 'none'}`,
    ...Object.entries(d.extra ?? {}).map(([k, v]) => `${k.padEnd(11)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** What a model is: shape, parameters, which checkpoint tensors it used and ignored, its tokenizer. */
export function modelInfoCommand(y: Argv) {
  return y.command(
    'model-info <model>',
    'describe a model: type, shape, parameters, used and ignored checkpoint tensors, tokenizer',
    (b) =>
      commonOptions(b)
        .positional('model', { type: 'string', demandOption: true, describe: 'zoo size, zoo.json alias, hf:<folder> or hf:<hub id>' })
        .option('json', { type: 'boolean', default: false, describe: 'print it as JSON' }),
    async (a) => {
      const env = await makeEnv(a as CommonArgs);
      const spec = a.model as string;
      const model = await env.models.source(spec).load(spec, sourceContext(env, false));
      const d = model.describe();
      process.stdout.write(a.json ? `${JSON.stringify(d, null, 2)}\n` : text(d));
    },
  );
}
