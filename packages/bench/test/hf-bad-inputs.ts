import { decodeSafetensors, encodeSafetensors, type RawTensor } from '@tunelab/core/internal';
import { cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bad Hugging Face folders for the bad-input catalogue, each made from the bert-tiny fixture. */
const FIXTURE = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));
const QUERY = 'bert.encoder.layer.0.attention.self.query.weight';

interface Ws {
  dir: string;
  args: string[];
}

const folder = (ws: Ws, name: string) => join(ws.dir, 'hf', name);
const weights = (ws: Ws, name: string) => join(folder(ws, name), 'model.safetensors');

function fixtureTensors(): Map<string, RawTensor> {
  return decodeSafetensors(readFileSync(join(FIXTURE, 'model.safetensors')), 'fixture').tensors;
}

/** Write the folders (in the catalogue's beforeAll) and point the hub cache at an empty folder. */
export function makeBadHfFolders(ws: Ws): void {
  const copy = (name: string) => cpSync(FIXTURE, folder(ws, name), { recursive: true });
  copy('no-config');
  rmSync(join(folder(ws, 'no-config'), 'config.json'));
  copy('mamba');
  const cfg = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  writeFileSync(join(folder(ws, 'mamba'), 'config.json'), JSON.stringify({ ...cfg, model_type: 'mamba' }));
  copy('small-vocab');
  writeFileSync(join(folder(ws, 'small-vocab'), 'config.json'), JSON.stringify({ ...cfg, vocab_size: 100 }));
  copy('missing-tensor');
  const missing = fixtureTensors();
  missing.delete(QUERY);
  writeFileSync(weights(ws, 'missing-tensor'), encodeSafetensors(missing));
  copy('misshaped');
  const bad = fixtureTensors();
  bad.set(QUERY, { ...bad.get(QUERY)!, shape: [16, 64] });
  writeFileSync(weights(ws, 'misshaped'), encodeSafetensors(bad));
  copy('truncated');
  truncateSync(weights(ws, 'truncated'), 4000);
  for (const [name, from, to] of [
    ['lying-offsets', '"data_offsets":[0,', '"data_offsets":[8,'],
    ['unknown-dtype', '"dtype":"F32"', '"dtype":"X32"'],
  ] as const) {
    copy(name);
    const bytes = readFileSync(weights(ws, name));
    const text = bytes.toString('latin1');
    writeFileSync(weights(ws, name), Buffer.from(text.replace(from, to), 'latin1'));
  }
  mkdirSync(folder(ws, 'pickle'), { recursive: true });
  cpSync(join(FIXTURE, 'config.json'), join(folder(ws, 'pickle'), 'config.json'));
  cpSync(join(FIXTURE, 'tokenizer.json'), join(folder(ws, 'pickle'), 'tokenizer.json'));
  writeFileSync(join(folder(ws, 'pickle'), 'pytorch_model.bin'), Buffer.from('PK\u0003\u0004 not really a zip'));
  mkdirSync(join(ws.dir, 'hub'), { recursive: true });
  process.env.HF_HUB_CACHE = join(ws.dir, 'hub');
}

export function HF_BAD_CASES(ws: Ws): { name: string; args: () => string[]; message: RegExp }[] {
  const train = (name: string) => () => ['train', '--model', `hf:${folder(ws, name)}`, '--method', 'lora', '--task', 'wn-wic', ...ws.args];
  return [
    {
      name: 'HF: a folder without config.json',
      args: train('no-config'),
      message: /hf\/no-config: no config\.json \(not a Hugging Face checkpoint folder\)/,
    },
    {
      name: 'HF: an unknown model_type',
      args: train('mamba'),
      message: /mamba\/config\.json: model_type 'mamba' is not supported; supported: bert, roberta, gpt2, llama, mistral, qwen2/,
    },
    {
      name: 'HF: a missing tensor',
      args: train('missing-tensor'),
      message:
        /missing-tensor\/model\.safetensors: tensor "bert\.encoder\.layer\.0\.attention\.self\.query\.weight" is missing \(expected shape \[32,32\]/,
    },
    {
      name: 'HF: a mis-shaped tensor',
      args: train('misshaped'),
      message:
        /misshaped\/model\.safetensors: tensor "bert\.encoder\.layer\.0\.attention\.self\.query\.weight" has shape \[16,64\] \(F32\), expected \[32,32\]/,
    },
    {
      name: 'HF: a truncated weight file',
      args: train('truncated'),
      message: /truncated\/model\.safetensors: not a valid safetensors file: .*(out of range|beyond the end)/,
    },
    {
      name: 'HF: a header whose offsets lie',
      args: train('lying-offsets'),
      message: /lying-offsets\/model\.safetensors: not a valid safetensors file: .*data_offsets/,
    },
    {
      name: 'HF: an unknown dtype',
      args: train('unknown-dtype'),
      message:
        /unknown-dtype\/model\.safetensors: not a valid safetensors file: .*unsupported dtype "X32" \(supported: F64, F32, F16, BF16, I64/,
    },
    {
      name: 'HF: a vocabulary that does not match vocab_size',
      args: train('small-vocab'),
      message: /small-vocab\/tokenizer\.json: the tokenizer has ids up to 187 .* but config\.json vocab_size is 100/,
    },
    {
      name: 'HF: a pickle-only folder',
      args: train('pickle'),
      message: /pickle\/pytorch_model\.bin: tunelab reads only safetensors \(it never unpickles files\); convert it/,
    },
    {
      name: 'HF: a hub id not in the local cache',
      args: () => ['train', '--model', 'hf:nobody/missing-model', '--method', 'lora', '--task', 'wn-wic', ...ws.args],
      message:
        /--model hf:nobody\/missing-model: not in the local Hugging Face cache \(looked in .*hub\/models--nobody--missing-model\); training never downloads: fetch it with `tunelab pull hf:nobody\/missing-model`/,
    },
  ];
}
