import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UserError } from '@tunelab/core/internal';
import { generateText } from '../generate/run.js';
import { commonOptions, makeEnv, type CommonArgs } from './common.js';

export function generateCommand(y: Argv) {
  return y.command(
    'generate',
    'complete prompts with a causal LM (hf: GPT-2, Llama, Mistral, Qwen2), optionally with an adapter saved by train --save: greedy by default, seeded sampling with --temperature/--top-p/--seed',
    (b) =>
      commonOptions(b)
        .option('model', { type: 'string', demandOption: true, describe: 'a decoder: hf:<folder or hub id> (as train takes it)' })
        .option('adapter', { type: 'string', describe: 'a folder written by tunelab train --save on this model: generate with its hooks' })
        .option('prompt', { type: 'string', array: true, demandOption: true, describe: 'text to continue; repeatable (one batch)' })
        .option('chat', {
          type: 'boolean',
          default: false,
          describe: "render each prompt as one user message with tokenizer_config.json's chat_template (add_generation_prompt)",
        })
        .option('max-new-tokens', { type: 'number', default: 32, describe: 'new tokens per prompt at most (fewer where an EOS id comes)' })
        .option('temperature', { type: 'number', default: 0, describe: '0: greedy; > 0: sample from softmax(logits / temperature)' })
        .option('top-p', {
          type: 'number',
          describe: 'with --temperature: nucleus sampling, keep the most likely tokens up to this probability mass (default 1: all)',
        })
        .option('seed', { type: 'number', describe: 'with --temperature: seed of the sampling stream (default 0)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per prompt (prompt, promptIds, ids, text)' }),
    async (a) => {
      const adapter = a.adapter as unknown;
      if (Array.isArray(adapter)) throw new UserError('--adapter: give one adapter folder');
      const env = await makeEnv(a as CommonArgs);
      const out = await generateText(
        {
          model: a.model,
          ...(typeof adapter === 'string' ? { adapter: resolve(adapter) } : {}),
          prompts: (a.prompt as (string | number)[]).map(String),
          chat: a.chat,
          maxNewTokens: a['max-new-tokens'],
          temperature: a.temperature,
          ...(a['top-p'] !== undefined ? { topP: a['top-p'] } : {}),
          ...(a.seed !== undefined ? { seed: a.seed } : {}),
        },
        env,
      );
      for (const c of out) process.stdout.write(a.json ? `${JSON.stringify(c)}\n` : `${c.text}\n`);
    },
  );
}
