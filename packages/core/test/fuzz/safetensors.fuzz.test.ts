/** Fuzz: the safetensors reader (issue 26). Perturbed headers, bytes and lengths: a UserError naming the source, or a decoded file. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from '../../src/checkpoint/safetensors.js';
import { FUZZ_SEED, fuzz, hostileBytes, hostileJson } from './harness.js';

const tensors = new Map<string, RawTensor>([
  ['a.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
  ['b', { dtype: 'I32', shape: [2], data: new Int32Array([7, 8]) }],
  ['c.bias', { dtype: 'F32', shape: [1], data: new Float32Array([0.5]) }],
]);
const valid = encodeSafetensors(tensors, { format: 'x' });
const headerLen = Number(new DataView(valid.buffer).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + headerLen))) as Record<string, Record<string, unknown>>;

/** the file with its header replaced (the length prefix follows) */
function withHeader(text: string): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + valid.length - 8 - headerLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(valid.subarray(8 + headerLen), 8 + json.length);
  return out;
}

const oneField = fc
  .record({
    name: fc.constantFrom('a.weight', 'b', 'c.bias', '__metadata__'),
    field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'format', 'extra'),
    to: fc.oneof(
      hostileJson,
      fc.constantFrom('F16', 'BF16', 'F64', 'I64', 'BOOL', 'U8', 'X32'),
      fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }),
    ),
  })
  .map(({ name, field, to }) => withHeader(JSON.stringify({ ...header, [name]: { ...header[name], [field]: to } })));
const twice = fc.constantFrom('a.weight', 'b').map((name) => {
  const text = JSON.stringify(header);
  const entry = `${JSON.stringify(name)}:${JSON.stringify(header[name])}`;
  return withHeader(text.replace(entry, `${entry},${entry}`));
});
const lengthPrefix = fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map(([n]) => {
  const b = valid.slice();
  new DataView(b.buffer).setBigUint64(0, n!, true);
  return b;
});
const nonFinite = fc.constantFrom(NaN, Infinity, -Infinity).map((v) => {
  const t = new Map(tensors);
  t.set('c.bias', { dtype: 'F32', shape: [1], data: new Float32Array([v]) });
  return encodeSafetensors(t);
});

describe(`fuzz: the safetensors reader (seed ${FUZZ_SEED})`, () => {
  it('decodes or refuses with "<source>: not a valid safetensors file: ..."', async () => {
    const arb = fc.record({
      bytes: fc.oneof(oneField, twice, lengthPrefix, nonFinite, hostileBytes(valid)),
      foreign: fc.boolean(),
      finite: fc.boolean(),
    });
    const r = await fuzz(arb, ({ bytes, foreign, finite }) => decodeSafetensors(bytes, 'fuzz.safetensors', { foreign, finite }), {
      runs: 600,
      prefix: /^fuzz\.safetensors: not a valid safetensors file: /,
    });
    expect(r.refused).toBeGreaterThan(0);
  });
  it('refuses a tensor declared twice and, when asked, non-finite weights', () => {
    const text = JSON.stringify(header);
    const entry = `"b":${JSON.stringify(header.b)}`;
    expect(() => decodeSafetensors(withHeader(text.replace(entry, `${entry},${entry}`)), 'f')).toThrow(/tensor "b" is declared twice/);
    const t = new Map(tensors).set('c.bias', { dtype: 'F32', shape: [1], data: new Float32Array([NaN]) });
    expect(() => decodeSafetensors(encodeSafetensors(t), 'f', { finite: true })).toThrow(
      /tensor "c\.bias" holds a non-finite value \(NaN\)/,
    );
  });
});
