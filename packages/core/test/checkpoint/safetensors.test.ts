import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from '../../src/checkpoint/safetensors.js';
import { isUserError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/rng.js';

const SRC = 'ckpt/model.safetensors';

/** A file assembled by hand, independent of the encoder: [N u64 LE][header][buffer]. */
function rawFile(header: string, buffer: Uint8Array | number[] = [], declaredLen?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const buf = Uint8Array.from(buffer);
  const out = new Uint8Array(8 + json.length + buf.length);
  new DataView(out.buffer).setBigUint64(0, declaredLen ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(buf, 8 + json.length);
  return out;
}

function expectUserError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isUserError(caught), `expected a UserError, got ${String(caught)}`).toBe(true);
  const message = (caught as Error).message;
  expect(message).toContain(SRC);
  for (const f of fragments) expect(message).toContain(f);
}

function bytesOf(data: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

const F32_1 = [0x00, 0x00, 0x80, 0x3f]; // 1.0f little-endian
const F32_2 = [0x00, 0x00, 0x00, 0x40]; // 2.0f
const I32_7 = [0x07, 0x00, 0x00, 0x00];

function goldenTensors(): Map<string, RawTensor> {
  // inserted out of order on purpose: the encoder sorts names
  return new Map<string, RawTensor>([
    ['b', { dtype: 'I32', shape: [1], data: Int32Array.of(7) }],
    ['a', { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }],
  ]);
}

describe('safetensors golden bytes', () => {
  it('encodes two tensors without metadata byte-exactly', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
    expect(header.length).toBe(108); // padded to 112: 4 spaces
    const expected = [...[112, 0, 0, 0, 0, 0, 0, 0], ...ascii(header), ...ascii('    '), ...F32_1, ...F32_2, ...I32_7];
    expect(expected.length).toBe(8 + 112 + 12);
    expect([...encodeSafetensors(goldenTensors())]).toEqual(expected);
  });

  it('encodes metadata first, byte-exactly', () => {
    const header =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
    expect(header.length).toBe(139); // padded to 144: 5 spaces
    const bytes = encodeSafetensors(goldenTensors(), { format: 'pt' });
    expect([...bytes.subarray(0, 8)]).toEqual([0x90, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 152))).toBe(`${header}     `);
    expect([...bytes.subarray(152)]).toEqual([...F32_1, ...F32_2, ...I32_7]);
    expect(bytes.length).toBe(164);
  });

  it('decodes the golden file', () => {
    const decoded = decodeSafetensors(encodeSafetensors(goldenTensors(), { format: 'pt' }), SRC);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expect([...decoded.tensors.keys()]).toEqual(['a', 'b']);
    expect(decoded.tensors.get('a')).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) });
    expect(decoded.tensors.get('b')).toEqual({ dtype: 'I32', shape: [1], data: Int32Array.of(7) });
  });
});

describe('safetensors round trip', () => {
  const shapes: number[][] = [[], [0], [1], [7], [3, 5], [2, 3, 5, 1], [3, 0, 2], [1, 1, 1, 13]];

  it('round-trips random F32 and I32 tensors of odd shapes bit-exactly', () => {
    const rng = createRng('safetensors-roundtrip');
    const tensors = new Map<string, RawTensor>();
    shapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const f = Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 1e6);
      const special = [Number.NaN, -0, Infinity, -Infinity, 1e-45, 3.4e38];
      for (let j = 0; j < Math.min(n, special.length); j++) f[j] = special[j]!;
      tensors.set(`layers.${i}.w`, { dtype: 'F32', shape, data: f });
      const ints = Int32Array.from({ length: n }, () => rng.int(2 ** 32) - 2 ** 31);
      tensors.set(`${i}`, { dtype: 'I32', shape, data: ints }); // integer-like names on purpose
    });
    const meta: Record<string, string> = { step: '42', 'unicode ✓': 'é"\\' };
    Object.defineProperty(meta, '__proto__', { value: 'kept', enumerable: true });
    const decoded = decodeSafetensors(encodeSafetensors(tensors, meta), SRC);
    expect(decoded.metadata).toEqual(meta);
    expect(Object.getOwnPropertyDescriptor(decoded.metadata, '__proto__')?.value).toBe('kept');
    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const d = decoded.tensors.get(name)!;
      expect(d.dtype).toBe(t.dtype);
      expect(d.shape).toEqual(t.shape);
      expect(d.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(d.data)).toEqual(bytesOf(t.data));
    }
  });

  it('is deterministic regardless of insertion order and pads the header to 8 bytes', () => {
    const a = goldenTensors();
    const b = new Map([...a].reverse());
    const bytes = encodeSafetensors(a);
    expect(encodeSafetensors(b)).toEqual(bytes);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
  });

  it('encodes an empty map', () => {
    const decoded = decodeSafetensors(encodeSafetensors(new Map()), SRC);
    expect(decoded.tensors.size).toBe(0);
    expect(decoded.metadata).toEqual({});
  });

  it('rejects inconsistent input as a programming error', () => {
    const bad =
      (t: RawTensor, name = 'x') =>
      () =>
        encodeSafetensors(new Map([[name, t]]));
    expect(bad({ dtype: 'F32', shape: [3], data: new Float32Array(2) })).toThrow(/2 values for shape \[3\]/);
    expect(bad({ dtype: 'I32', shape: [2], data: new Float32Array(2) })).toThrow(/does not match/);
    expect(bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })).toThrow(/invalid shape/);
    expect(bad({ dtype: 'F32', shape: [], data: new Float32Array(1) }, '__metadata__')).toThrow(/reserved/);
  });
});

describe('safetensors reading', () => {
  it('reads from an unaligned view and an unaligned buffer start', () => {
    // header of 55 bytes, not padded to 8: the data starts at file offset 63, not a multiple of 4
    const header = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} ';
    expect(header.length).toBe(55);
    const file = rawFile(header, [...F32_2, ...F32_1]);
    // and the whole file sits at byte offset 3 of a larger buffer
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    const decoded = decodeSafetensors(host.subarray(3), SRC);
    expect(decoded.tensors.get('x')?.data).toEqual(Float32Array.of(2, 1));
  });

  it('returns copies that do not alias the input', () => {
    const bytes = encodeSafetensors(goldenTensors());
    const a = decodeSafetensors(bytes, SRC).tensors.get('a')!;
    bytes.fill(0);
    expect(a.data).toEqual(Float32Array.of(1, 2));
  });

  const t = (name: string, dtype: string, shape: unknown, offsets: unknown) =>
    `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape, data_offsets: offsets })}`;
  const eight = [...F32_1, ...F32_2];

  it.each([
    ['file shorter than 8 bytes', () => new Uint8Array(5), 'shorter than'],
    ['header length beyond the file', () => rawFile('{}', [], 1000n), 'beyond the end'],
    ['huge header length', () => rawFile('{}', [], 2n ** 63n), 'beyond the end'],
    ['header not JSON', () => rawFile('{"a": nope}'), 'not valid UTF-8 JSON'],
    ['header not UTF-8', () => rawFile('{"\uFFFD":1}').map((b) => (b === 0xef ? 0xff : b)), 'not valid UTF-8 JSON'],
    ['header an array', () => rawFile('[]'), 'not a JSON object'],
    ['metadata not strings', () => rawFile('{"__metadata__":{"step":1}}'), '"step" is not a string'],
    ['entry not an object', () => rawFile('{"a":3}'), 'tensor "a" is not an object'],
    ['unknown dtype', () => rawFile(`{${t('a', 'F16', [4], [0, 8])}}`, eight), 'unsupported dtype "F16"'],
    ['bad shape', () => rawFile(`{${t('a', 'F32', [-2], [0, 8])}}`, eight), 'invalid shape'],
    ['bad offsets', () => rawFile(`{${t('a', 'F32', [2], [0])}}`, eight), 'invalid data_offsets'],
    ['end before begin', () => rawFile(`{${t('a', 'F32', [0], [8, 4])}}`, eight), 'end before begin'],
    ['shape/offset mismatch', () => rawFile(`{${t('a', 'F32', [3], [0, 8])}}`, eight), 'span 8 bytes'],
    ['offsets out of range', () => rawFile(`{${t('a', 'F32', [4], [0, 16])}}`, eight), 'out of range'],
    [
      'overlapping tensors',
      () => rawFile(`{${t('a', 'F32', [2], [0, 8])},${t('b', 'F32', [2], [4, 12])}}`, [...eight, 0, 0, 0, 0]),
      'overlap',
    ],
    ['gap between tensors', () => rawFile(`{${t('a', 'F32', [1], [0, 4])},${t('b', 'F32', [1], [8, 12])}}`, [...eight, 0, 0, 0, 0]), 'gap'],
    ['first tensor not at 0', () => rawFile(`{${t('a', 'F32', [1], [4, 8])}}`, eight), 'gap'],
    ['trailing bytes', () => rawFile(`{${t('a', 'F32', [1], [0, 4])}}`, eight), '4 trailing bytes'],
    ['buffer with no tensors', () => rawFile('{}', [1]), '1 trailing bytes'],
  ] as const)('rejects %s with a UserError naming the source', (_label, make, fragment) => {
    const bytes = make();
    expectUserError(() => decodeSafetensors(bytes, SRC), fragment);
  });

  it('accepts zero-size tensors sharing an offset and a metadata-only file', () => {
    const header = `{"__metadata__":{"k":"v"},${t('e', 'I32', [0, 3], [4, 4])},${t('a', 'F32', [1], [0, 4])},${t('z', 'F32', [0], [4, 4])}}`;
    const decoded = decodeSafetensors(rawFile(header, F32_1), SRC);
    expect([...decoded.tensors.keys()]).toEqual(['a', 'e', 'z']);
    expect(decoded.tensors.get('e')).toEqual({ dtype: 'I32', shape: [0, 3], data: new Int32Array(0) });
    expect(decodeSafetensors(rawFile('{"__metadata__":{}}'), SRC).tensors.size).toBe(0);
  });
});
