import { decodeSafetensors, encodeSafetensors, type RawTensor } from '@tunelab/core/internal';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bad Hugging Face folders for the bad-input catalogue, each made from the bert-tiny fixture. */
const FIXTURE = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));
/** The decoder cases start from llama-tiny (GQA: 4 heads, 2 key/value heads; a chat template). */
const LLAMA = fileURLToPath(new URL('../../../fixtures/hf/llama-tiny/', import.meta.url));
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

/** The fixture's tensors re-encoded, with `edit` applied to the header's text (the length prefix follows). */
function withHeader(tensors: Map<string, RawTensor>, edit: (header: string) => string): Buffer {
  const bytes = Buffer.from(encodeSafetensors(tensors));
  const len = Number(bytes.readBigUInt64LE(0));
  const header = Buffer.from(edit(bytes.subarray(8, 8 + len).toString('utf8')));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([prefix, header, bytes.subarray(8 + len)]);
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
  // issue 26, class 6: weights that cannot train
  copy('nan-weight');
  const nan = fixtureTensors();
  const q = nan.get(QUERY)!;
  const poisoned = new Float32Array(q.data);
  poisoned[5] = Number.NaN;
  nan.set(QUERY, { ...q, data: poisoned });
  writeFileSync(weights(ws, 'nan-weight'), encodeSafetensors(nan));
  copy('int-weight');
  writeFileSync(
    weights(ws, 'int-weight'),
    withHeader(fixtureTensors(), (h) =>
      h.replace(`"${QUERY}":{"dtype":"F32","shape":[32,32]`, `"${QUERY}":{"dtype":"I64","shape":[32,16]`),
    ),
  );
  copy('named-twice');
  writeFileSync(
    weights(ws, 'named-twice'),
    withHeader(fixtureTensors(), (h) => {
      const entry = new RegExp(`"${QUERY.replace(/\./g, '\\.')}":\\{[^}]*\\}`).exec(h)![0];
      return h.replace(entry, `${entry},${entry}`);
    }),
  );
  // issue 26, class 1: a weight file that is a link to a device (read without end)
  copy('device-weights');
  rmSync(weights(ws, 'device-weights'));
  symlinkSync('/dev/zero', weights(ws, 'device-weights'));
  // issue 26, class 3: a config.json claiming sizes the weight files cannot hold
  copy('huge-config');
  writeFileSync(
    join(folder(ws, 'huge-config'), 'config.json'),
    JSON.stringify({ ...cfg, num_hidden_layers: 24, hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 16 }),
  );
  copy('absurd-config');
  writeFileSync(join(folder(ws, 'absurd-config'), 'config.json'), JSON.stringify({ ...cfg, hidden_size: 1e9, num_attention_heads: 1 }));
  copy('huge-vocab-id');
  const tok = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8'));
  tok.model.vocab['zzzhuge'] = 300_000_000;
  writeFileSync(join(folder(ws, 'huge-vocab-id'), 'tokenizer.json'), JSON.stringify(tok));
  mkdirSync(folder(ws, 'pickle'), { recursive: true });
  cpSync(join(FIXTURE, 'config.json'), join(folder(ws, 'pickle'), 'config.json'));
  cpSync(join(FIXTURE, 'tokenizer.json'), join(folder(ws, 'pickle'), 'tokenizer.json'));
  writeFileSync(join(folder(ws, 'pickle'), 'pytorch_model.bin'), Buffer.from('PK\u0003\u0004 not really a zip'));
  const llama = (name: string, file: string, edit: (j: Record<string, unknown>) => Record<string, unknown>) => {
    cpSync(LLAMA, folder(ws, name), { recursive: true });
    const path = join(folder(ws, name), file);
    writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)));
  };
  llama('llama-falcon', 'config.json', (j) => ({ ...j, model_type: 'falcon' }));
  llama('llama-kv3', 'config.json', (j) => ({ ...j, num_key_value_heads: 3 }));
  llama('llama-yarn', 'config.json', (j) => ({ ...j, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
  llama('llama-small-vocab', 'config.json', (j) => ({ ...j, vocab_size: 300 }));
  llama('llama-bad-template', 'tokenizer_config.json', (j) => ({
    ...j,
    chat_template: "{{ raise_exception('Conversation roles must alternate') }}",
  }));
  llama('llama-bad-eos', 'generation_config.json', (j) => ({ ...j, eos_token_id: 'two' }));
  mkdirSync(join(ws.dir, 'hub'), { recursive: true });
  process.env.HF_HUB_CACHE = join(ws.dir, 'hub');
}

export function HF_BAD_CASES(ws: Ws): { name: string; args: () => string[]; message: RegExp }[] {
  const train = (name: string) => () => ['train', '--model', `hf:${folder(ws, name)}`, '--method', 'lora', '--task', 'wn-wic', ...ws.args];
  const generate =
    (name: string, ...extra: string[]) =>
    () => ['generate', '--model', name.startsWith('hf:') ? name : `hf:${folder(ws, name)}`, '--prompt', 'The cat', ...extra, ...ws.args];
  return [
    {
      name: 'HF decoder: an unknown model_type lists the supported ones',
      args: generate('llama-falcon'),
      message: /llama-falcon\/config\.json: model_type 'falcon' is not supported; supported: bert, roberta, gpt2, llama, mistral, qwen2/,
    },
    {
      name: 'HF decoder: num_attention_heads not a multiple of num_key_value_heads',
      args: train('llama-kv3'),
      message: /llama-kv3\/config\.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3/,
    },
    {
      name: 'HF decoder: an unknown rope_scaling type',
      args: generate('llama-yarn'),
      message: /llama-yarn\/config\.json: rope_scaling type 'yarn' is not supported; supported: linear, llama3/,
    },
    {
      name: 'HF decoder: tokenizer ids beyond the embedding rows (vocab_size)',
      args: generate('llama-small-vocab'),
      message: /llama-small-vocab\/tokenizer\.json: the tokenizer has ids up to 330 but config\.json vocab_size is 300/,
    },
    {
      name: 'HF decoder: a chat template that fails to render (its own message)',
      args: generate('llama-bad-template', '--chat'),
      message: /llama-bad-template\/tokenizer_config\.json: chat_template does not render: .*Conversation roles must alternate/,
    },
    {
      name: 'HF decoder: an eos_token_id that is no token id',
      args: generate('llama-bad-eos'),
      message: /llama-bad-eos\/generation_config\.json: eos_token_id must be a token id or a list of token ids \(got "two"\)/,
    },
    {
      name: 'generate: an encoder is refused',
      args: () => generate(`hf:${FIXTURE.replace(/\/$/, '')}`)(),
      message: /--model hf:.*bert-tiny: an encoder \(masked LM\), not a causal LM; tunelab generate needs a decoder/,
    },
    {
      name: 'generate: a zoo encoder is refused before it is built',
      args: () => ['generate', '--model', 'tiny', '--prompt', 'x', ...ws.args],
      message: /--model tiny: an encoder \(masked LM\), not a causal LM/,
    },
    {
      name: 'generate: a prompt longer than the positions allow',
      args: generate('hf:' + LLAMA.replace(/\/$/, ''), '--max-new-tokens', '600'),
      message: /--max-new-tokens: a prompt of 3 tokens plus 600 new ones exceeds the model's 512 positions/,
    },
    {
      name: 'generate: --top-p out of range',
      args: generate('hf:' + LLAMA.replace(/\/$/, ''), '--temperature', '1', '--top-p', '0'),
      message: /--top-p: must be in \(0, 1\] \(got 0\)/,
    },
    {
      name: 'generate: --top-p without --temperature (greedy would ignore it)',
      args: generate('hf:' + LLAMA.replace(/\/$/, ''), '--top-p', '0.9'),
      message: /--top-p: applies only when sampling; add --temperature > 0/,
    },
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
      name: 'HF: a weight that is NaN (class 6)',
      args: train('nan-weight'),
      message:
        /nan-weight\/model\.safetensors: not a valid safetensors file: tensor "bert\.encoder\.layer\.0\.attention\.self\.query\.weight" holds a non-finite value \(NaN\) at element 5/,
    },
    {
      name: 'HF: an integer tensor where weights are expected (class 6)',
      args: train('int-weight'),
      message:
        /int-weight\/model\.safetensors: tensor "bert\.encoder\.layer\.0\.attention\.self\.query\.weight" has dtype I64, expected a float dtype/,
    },
    {
      name: 'HF: a tensor declared twice in the header (class 6)',
      args: train('named-twice'),
      message:
        /named-twice\/model\.safetensors: not a valid safetensors file: tensor "bert\.encoder\.layer\.0\.attention\.self\.query\.weight" is declared twice/,
    },
    {
      name: 'HF: a weight file linked to /dev/zero (class 1)',
      args: train('device-weights'),
      message: /device-weights\/model\.safetensors: a device, expected a regular file/,
    },
    {
      name: 'HF: a config.json claiming more weights than the files hold (class 3)',
      args: train('huge-config'),
      message: /huge-config\/config\.json: claims at least \d+ parameters .* but the weight files hold \d+ bytes/,
    },
    {
      name: 'HF: an absurd hidden_size (class 3)',
      args: train('absurd-config'),
      message: /absurd-config\/config\.json: hidden_size 1000000000 is more than tunelab allows/,
    },
    {
      name: 'HF: a tokenizer id far beyond vocab_size (class 3)',
      args: train('huge-vocab-id'),
      message: /huge-vocab-id\/tokenizer\.json: the tokenizer has ids up to 300000000 \(\d+ tokens\) but config\.json vocab_size is \d+/,
    },
    {
      name: 'HF: an empty hub revision (class 2)',
      args: () => ['train', '--model', 'hf:org/name@', '--method', 'lora', '--task', 'wn-wic', ...ws.args],
      message: /--model hf:org\/name@: the revision after '@' is empty/,
    },
    {
      name: "HF: a hub revision climbing out with '..' (class 2)",
      args: () => ['train', '--model', 'hf:org/name@../../../etc', '--method', 'lora', '--task', 'wn-wic', ...ws.args],
      message: /--model hf:org\/name@\.\.\/\.\.\/\.\.\/etc: revision "\.\.\/\.\.\/\.\.\/etc" is not a Hub branch, tag or commit/,
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
