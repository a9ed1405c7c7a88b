/**
 * Issue 26's entries of the bad-input catalogue: files that are not files, paths that would
 * escape, sizes that would allocate without end, loops that would not stop, states that cannot be
 * saved, user data that would train on the wrong thing and ordinary filesystem conditions. Each
 * gives exit 2, one line naming the path and its flag or variable, and nothing written.
 */
import { decodeSafetensors, encodeSafetensors } from '@tunelab/core/internal';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BERT = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));

interface Ws {
  dir: string;
  args: string[];
}

export interface HostileCase {
  name: string;
  args: () => string[];
  message: RegExp;
  env?: Record<string, string>;
  /** the case's --out exists beforehand (it is what is wrong) */
  outExists?: boolean;
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The files the cases read, made in the catalogue's beforeAll. */
export function makeHostileInputs(ws: Ws): void {
  const h = (...p: string[]) => join(ws.dir, 'hostile', ...p);
  mkdirSync(h('data', 'fifo'), { recursive: true });
  execFileSync('mkfifo', [h('data', 'fifo', 'train.jsonl')]);
  mkdirSync(h('data', 'zero'), { recursive: true });
  symlinkSync('/dev/zero', h('data', 'zero', 'train.jsonl'));
  mkdirSync(h('data', 'folder', 'train.jsonl'), { recursive: true });
  execFileSync('mkfifo', [h('sweep-fifo.json')]);
  const put = (dir: string, file: string, text: string | Buffer) => (
    mkdirSync(h('data', dir), { recursive: true }),
    writeFileSync(h('data', dir, file), text)
  );
  const pairs = (n: number, label: (i: number) => unknown) =>
    Array.from({ length: n }, (_, i) => ({ text: `sentence number ${i}`, label: label(i) }));
  put('dup-header', 'train.csv', 'text,label,label\n' + Array.from({ length: 12 }, (_, i) => `t${i},a,b`).join('\n') + '\n');
  put('one-class', 'train.jsonl', jsonl(pairs(20, () => 'same')));
  put('one-tag', 'train.conll', Array.from({ length: 12 }, (_, i) => `w${i}\tO\n`).join('\n'));
  put('numeric-test-only', 'train.jsonl', jsonl(pairs(30, (i) => (i % 2 ? '1.0' : '02'))));
  put('numeric-test-only', 'dev.jsonl', jsonl(pairs(4, (i) => (i % 2 ? 1 : 2))));
  put('numeric-test-only', 'test.jsonl', jsonl([{ text: 'x', label: '3.0' }]));
  put(
    'bad-utf8',
    'train.jsonl',
    Buffer.concat([Buffer.from('{"text": "fine", "label": "a"}\n{"text": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]),
  );
  // a checkpoint whose template adds more special tokens than it has positions
  cpSync(BERT, h('hf', 'wordy'), { recursive: true });
  const cfg = JSON.parse(readFileSync(join(BERT, 'config.json'), 'utf8'));
  writeFileSync(h('hf', 'wordy', 'config.json'), JSON.stringify({ ...cfg, max_position_embeddings: 8 }));
  const tok = JSON.parse(readFileSync(join(BERT, 'tokenizer.json'), 'utf8'));
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  for (const k of ['single', 'pair'] as const) tok.post_processor[k] = [...Array(9).fill(cls), ...tok.post_processor[k]];
  writeFileSync(h('hf', 'wordy', 'tokenizer.json'), JSON.stringify(tok));
  const weights = decodeSafetensors(readFileSync(join(BERT, 'model.safetensors')), 'fixture').tensors;
  const POS = 'bert.embeddings.position_embeddings.weight';
  const pos = weights.get(POS)!;
  weights.set(POS, { ...pos, shape: [8, pos.shape[1]!], data: pos.data.slice(0, 8 * pos.shape[1]!) });
  writeFileSync(h('hf', 'wordy', 'model.safetensors'), encodeSafetensors(weights));
  // a hub cache whose ref is a device
  const repo = join(ws.dir, 'hub', 'models--org--devref');
  mkdirSync(join(repo, 'refs'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', 'abc'), { recursive: true });
  symlinkSync('/dev/zero', join(repo, 'refs', 'main'));
  // filesystem conditions
  writeFileSync(h('a-file'), 'not a folder\n');
  mkdirSync(h('out-cp-file'), { recursive: true });
  writeFileSync(h('out-cp-file', 'checkpoints'), 'not a folder\n');
  mkdirSync(h('sweep-cp-file'), { recursive: true });
  writeFileSync(h('sweep-cp-file', 'checkpoints'), 'not a folder\n');
}

export function HOSTILE_CASES(
  ws: Ws & { zoo: string; cache: string },
  sweep: (name: string, body: unknown, extra?: string[]) => string[],
  good: Record<string, unknown>,
): HostileCase[] {
  const h = (...p: string[]) => join(ws.dir, 'hostile', ...p);
  const train = (extra: string[], task = 'wn-wic') => ['train', '--model', 'tiny', '--task', task, ...ws.args, ...extra];
  const data = (dir: string, file = 'train.jsonl') => `file:${h('data', dir, file)}`;
  const noCache = ws.args.filter((a, i) => a !== '--cache' && ws.args[i - 1] !== '--cache');
  const grid = (keys: number, width: number) => ({
    ...good,
    methods: [
      {
        method: 'lora',
        grid: Object.fromEntries(
          ['rank', 'alpha', 'dropout', 'lr', 'steps', 'batchSize', 'warmup', 'weightDecay', 'evalLimit']
            .slice(0, keys)
            .map((k) => [k, Array.from({ length: width }, (_, v) => v + 1)]),
        ),
      },
    ],
  });
  return [
    // 1. files that are not regular files
    {
      name: 'a data file that is a FIFO (class 1)',
      args: () => train(['--method', 'sft'], data('fifo')),
      message: /^tunelab: data file .*fifo\/train\.jsonl: a FIFO \(named pipe\), expected a regular file$/m,
    },
    {
      name: 'a data file linked to /dev/zero (class 1)',
      args: () => train(['--method', 'sft'], data('zero')),
      message: /data file .*zero\/train\.jsonl: a device, expected a regular file/,
    },
    {
      name: 'a data file that is a folder (class 1)',
      args: () => train(['--method', 'sft'], data('folder')),
      message: /data file .*folder\/train\.jsonl: a folder, expected a regular file/,
    },
    {
      name: 'a sweep config that is a FIFO (class 1)',
      args: () => ['sweep', '--config', h('sweep-fifo.json'), '--out', h('out-fifo'), ...ws.args],
      message: /sweep config .*sweep-fifo\.json: a FIFO/,
    },
    {
      name: 'a hub ref linked to /dev/zero (class 1)',
      args: () => train(['--method', 'lora']).map((a) => (a === 'tiny' ? 'hf:org/devref' : a)),
      message: /hub ref .*models--org--devref\/refs\/main: a device, expected a regular file/,
    },
    // 2. strings used as paths
    {
      name: "a sweep model whose hub revision climbs out with '..' (class 2)",
      args: () => sweep('rev-escape', { ...good, models: ['hf:org/name@../../x'] }),
      message: /hf:org\/name@\.\.\/\.\.\/x: revision "\.\.\/\.\.\/x" is not a Hub branch, tag or commit/,
    },
    // 3. sizes believed before they are checked
    {
      name: 'a sweep grid of 10^9 combinations (class 3)',
      args: () => sweep('grid-1e9', grid(9, 10)),
      message: /methods: the grid expands to 1000000000 trials .*more than the 20000 one sweep may have/,
    },
    {
      name: 'a sweep grid of 10^6 combinations (class 3)',
      args: () => sweep('grid-1e6', grid(6, 10)),
      message: /methods: the grid expands to 1000000 trials/,
    },
    // 4. loops that cannot be interrupted
    {
      name: 'a template with more special tokens than positions (class 4)',
      args: () => ['train', '--model', `hf:${h('hf', 'wordy')}`, '--method', 'lora', '--task', 'wn-wic', ...ws.args],
      message: /training\.maxLength: 8 tokens per example leave no room for text after the \d+ special tokens/,
    },
    // 5. states that cannot be saved: found before training
    {
      name: 'train --out whose checkpoints/ is a file (class 5)',
      args: () => train(['--method', 'sft', '--out', h('out-cp-file')]),
      message: /--out .*out-cp-file\/checkpoints: is a file, not a folder; point --out at a folder/,
      outExists: true,
    },
    {
      name: 'sweep --out whose checkpoints/ is a file (class 5)',
      args: () => ['sweep', '--config', join(ws.dir, 'hostile-good.json'), '--out', h('sweep-cp-file'), '--workers', '1', ...ws.args],
      message: /--out .*sweep-cp-file\/checkpoints: is a file, not a folder/,
      outExists: true,
    },
    // 7. user data
    {
      name: 'duplicate CSV header columns (class 7)',
      args: () => train(['--method', 'sft'], data('dup-header', 'train.csv')),
      message: /train\.csv:1: the header names column "label" twice/,
    },
    {
      name: 'a data file with a single label class (class 7)',
      args: () => train(['--method', 'sft'], data('one-class')),
      message: /train\.jsonl: every label is "same"; a task needs at least two classes/,
    },
    {
      name: 'a CoNLL file with a single tag (class 7)',
      args: () => train(['--method', 'sft'], data('one-tag', 'train.conll')),
      message: /train\.conll: every tag is "O"/,
    },
    {
      name: 'a label only in test, under the number rule (class 7)',
      args: () => train(['--method', 'sft'], data('numeric-test-only')),
      message: /test\.jsonl:1: label "3" does not occur in the training file \(its labels: 1, 2\)/,
    },
    {
      name: 'invalid UTF-8 names the byte offset (class 7)',
      args: () => train(['--method', 'sft'], data('bad-utf8')),
      message: /bad-utf8\/train\.jsonl:2: the text is not valid UTF-8 \(byte 44\)/,
    },
    // 8. filesystem conditions
    {
      name: 'train --out that is a file (class 8)',
      args: () => train(['--method', 'sft', '--out', h('a-file')]),
      message: /--out .*a-file: is a file, not a folder/,
      outExists: true,
    },
    {
      name: 'sweep --out under a file (class 8)',
      args: () => ['sweep', '--config', join(ws.dir, 'hostile-good.json'), '--out', h('a-file', 'sub'), '--workers', '1', ...ws.args],
      message: /--out .*a-file\/sub: lies under .*a-file, which is a file, not a folder/,
      outExists: true,
    },
    {
      name: 'TUNELAB_CACHE pointing at a file (class 8)',
      args: () => ['train', '--model', 'tiny', '--task', 'wn-wic', '--method', 'sft', ...noCache],
      env: { TUNELAB_CACHE: h('a-file') },
      message: /TUNELAB_CACHE .*a-file: is a file, not a folder; point TUNELAB_CACHE at a folder/,
    },
    {
      name: '--cache under a file (class 8)',
      args: () => ['train', '--model', 'tiny', '--task', 'wn-wic', '--method', 'sft', ...noCache, '--cache', h('a-file', 'c')],
      message: /--cache .*a-file\/c: lies under .*a-file, which is a file/,
      outExists: true,
    },
  ];
}
