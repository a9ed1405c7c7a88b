import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assignParams,
  paramsToTensors,
  readJsonFile,
  readSafetensorsFile,
  sha256File,
  writeJsonAtomic,
  writeSafetensorsFile,
} from '../../src/checkpoint/index.js';
import { encodeSafetensors, type RawTensor } from '../../src/checkpoint/safetensors.js';
import type { ParamMap } from '../../src/contracts/model.js';
import { isUserError } from '../../src/util/errors.js';
import { sha256 } from '../../src/util/hash.js';

// Wrap rename so tests can observe (and fail) the final step of an atomic write.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename) };
});

let dir = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(tmpdir(), 'tunelab-ckpt-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.mocked(fs.rename).mockClear();
});

async function userError(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

function makeParams(): ParamMap {
  return new Map([
    [
      'embeddings.token',
      tf.variable(
        tf.tensor2d([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        true,
        'emb',
      ),
    ],
    ['layers.0.attn.query.weight', tf.variable(tf.zeros([8, 8]), true, 'q')],
    ['step', tf.variable(tf.scalar(3, 'int32'), false, 'step')],
  ]);
}

function disposeAll(p: ParamMap): void {
  for (const v of p.values()) v.dispose();
}

describe('tfjs <-> safetensors', () => {
  it('reads params with their dtypes and shapes, as copies', async () => {
    const params = makeParams();
    const raw = await paramsToTensors(params);
    expect(raw.get('embeddings.token')).toEqual({ dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
    expect(raw.get('step')).toEqual({ dtype: 'I32', shape: [], data: Int32Array.of(3) });
    raw.get('embeddings.token')!.data[0] = 99;
    expect(params.get('embeddings.token')!.dataSync()[0]).toBe(1);
    disposeAll(params);
  });

  it('writes a file that reads back identically and matches the pure encoder', async () => {
    const params = makeParams();
    const file = path.join(dir, 'nested/a/model.safetensors');
    await writeSafetensorsFile(file, params, { step: '3' });
    const bytes = await fs.readFile(file);
    expect(new Uint8Array(bytes)).toEqual(encodeSafetensors(await paramsToTensors(params), { step: '3' }));
    const back = await readSafetensorsFile(file);
    expect(back.metadata).toEqual({ step: '3' });
    expect(back.tensors).toEqual(await paramsToTensors(params));
    expect(await sha256File(file)).toBe(sha256(bytes));
    disposeAll(params);
  });

  it('rejects missing and corrupt files naming the path', async () => {
    const missing = path.join(dir, 'nope.safetensors');
    expect(await userError(readSafetensorsFile(missing))).toContain(`${missing}: file not found`);
    const corrupt = path.join(dir, 'corrupt.safetensors');
    await fs.writeFile(corrupt, 'abc');
    expect(await userError(readSafetensorsFile(corrupt))).toContain(corrupt);
    expect(await userError(readSafetensorsFile(dir))).toContain(dir); // a directory: EISDIR
  });
});

describe('assignParams', () => {
  const SRC = 'runs/x/final.safetensors';
  const f32 = (shape: number[], fill: number): RawTensor => ({
    dtype: 'F32',
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
  });

  it('assigns every tensor without leaking temporaries', async () => {
    const params = makeParams();
    const before = tf.memory().numTensors;
    const src = new Map<string, RawTensor>([
      ['embeddings.token', f32([2, 3], 7)],
      ['layers.0.attn.query.weight', f32([8, 8], 0.5)],
      ['step', { dtype: 'I32', shape: [], data: Int32Array.of(41) }],
    ]);
    assignParams(params, src, SRC);
    expect(tf.memory().numTensors).toBe(before);
    expect([...(await params.get('embeddings.token')!.data())]).toEqual([7, 7, 7, 7, 7, 7]);
    expect(params.get('step')!.dataSync()[0]).toBe(41);
    // the variable does not alias the caller's array
    src.get('embeddings.token')!.data.fill(0);
    expect(params.get('embeddings.token')!.dataSync()[0]).toBe(7);
    disposeAll(params);
  });

  it('rejects a shape mismatch before assigning anything', () => {
    const params = makeParams();
    const src = new Map<string, RawTensor>([
      ['embeddings.token', f32([2, 3], 7)],
      ['layers.0.attn.query.weight', f32([4, 4], 1)],
      ['step', { dtype: 'I32', shape: [], data: Int32Array.of(41) }],
    ]);
    expect(() => assignParams(params, src, SRC)).toThrow(`${SRC}: tensor "layers.0.attn.query.weight" has shape [4,4], expected [8,8]`);
    expect(params.get('embeddings.token')!.dataSync()[0]).toBe(1); // untouched
    disposeAll(params);
  });

  it('rejects a dtype mismatch', async () => {
    const params = makeParams();
    const src = new Map<string, RawTensor>([['step', f32([], 1)]]);
    const msg = await userError(() => assignParams(params, src, SRC, { allowMissing: true }));
    expect(msg).toBe(`${SRC}: tensor "step" has dtype F32, expected int32`);
    disposeAll(params);
  });

  it('reports missing names (up to 5) unless allowed', async () => {
    const target: ParamMap = new Map();
    for (let i = 0; i < 7; i++) target.set(`w${i}`, tf.variable(tf.scalar(i), true, `w${i}`));
    const src = new Map<string, RawTensor>([['w0', f32([], 10)]]);
    const msg = await userError(() => assignParams(target, src, SRC));
    expect(msg).toBe(`${SRC}: missing 6 tensor(s) the model needs: "w1", "w2", "w3", "w4", "w5" and 1 more`);
    assignParams(target, src, SRC, { allowMissing: true });
    expect(target.get('w0')!.dataSync()[0]).toBe(10);
    expect(target.get('w1')!.dataSync()[0]).toBe(1);
    disposeAll(target);
  });

  it('reports unexpected names unless allowed', async () => {
    const target: ParamMap = new Map([['a', tf.variable(tf.scalar(1), true, 'a')]]);
    const src = new Map<string, RawTensor>([
      ['a', f32([], 2)],
      ['adapter.lora_a', f32([2], 0)],
    ]);
    const msg = await userError(() => assignParams(target, src, SRC));
    expect(msg).toBe(`${SRC}: 1 unexpected tensor(s) the model does not have: "adapter.lora_a"`);
    expect(target.get('a')!.dataSync()[0]).toBe(1);
    assignParams(target, src, SRC, { allowExtra: true });
    expect(target.get('a')!.dataSync()[0]).toBe(2);
    disposeAll(target);
  });
});

describe('atomic writes and JSON files', () => {
  it('writes to a unique temp name, renames it complete, and leaves nothing behind', async () => {
    const target = path.join(dir, 'json/run.json');
    await writeJsonAtomic(target, { old: true });
    const value = { b: [1, 2], a: 'x' };
    let seenAtRename: { tmp: string; target: string } | undefined;
    vi.mocked(fs.rename).mockImplementationOnce(async (from, to) => {
      // at the moment of the rename the temp file is complete and the target still the old one
      seenAtRename = { tmp: await fs.readFile(from, 'utf8'), target: await fs.readFile(to, 'utf8') };
      const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      return actual.rename(from, to);
    });
    await writeJsonAtomic(target, value);
    const [from, to] = vi.mocked(fs.rename).mock.calls[0]!;
    expect(to).toBe(target);
    expect(String(from)).toMatch(new RegExp(`^${target.replace(/[.\\]/g, '\\$&')}\\.tmp-${process.pid}-[0-9a-f]+$`));
    const expected = `${JSON.stringify(value, null, 2)}\n`;
    expect(seenAtRename).toEqual({ tmp: expected, target: `${JSON.stringify({ old: true }, null, 2)}\n` });
    expect(await fs.readFile(target, 'utf8')).toBe(expected);
    expect(await fs.readdir(path.dirname(target))).toEqual(['run.json']);
    expect(await readJsonFile(target, 'run manifest')).toEqual(value);
  });

  it('on a failed rename keeps the old file and removes the temp file', async () => {
    const params = makeParams();
    const sub = path.join(dir, 'fail');
    const target = path.join(sub, 'model.safetensors');
    await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(target, 'old');
    vi.mocked(fs.rename).mockRejectedValueOnce(new Error('disk on fire'));
    await expect(writeSafetensorsFile(target, params)).rejects.toThrow('disk on fire');
    expect(await fs.readFile(target, 'utf8')).toBe('old');
    expect(await fs.readdir(sub)).toEqual(['model.safetensors']);
    disposeAll(params);
  });

  it('reports an unwritable location as a UserError naming the path', async () => {
    const blocker = path.join(dir, 'blocker');
    await fs.writeFile(blocker, '');
    const target = path.join(blocker, 'x.json'); // parent is a regular file
    expect(await userError(writeJsonAtomic(target, {}))).toContain(`cannot write ${target}`);
  });

  it('rejects missing and invalid JSON naming the path and what it is', async () => {
    const missing = path.join(dir, 'missing.json');
    expect(await userError(readJsonFile(missing, 'run manifest'))).toBe(`run manifest ${missing}: file not found`);
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, '{"a": 1,');
    const msg = await userError(readJsonFile(bad, 'run manifest'));
    expect(msg).toContain(`run manifest ${bad}: invalid JSON`);
  });

  it('hashes files by streaming, naming the path when missing', async () => {
    const file = path.join(dir, 'big.bin');
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    await fs.writeFile(file, data);
    expect(await sha256File(file)).toBe(sha256(data));
    const missing = path.join(dir, 'absent.bin');
    expect(await userError(sha256File(missing))).toContain(missing);
  });
});
