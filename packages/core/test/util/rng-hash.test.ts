import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson, sha256 } from '../../src/util/hash.js';
import { createRng, rngStreams, shuffle, type Rng } from '../../src/util/rng.js';
import { formatPath, formatZodError } from '../../src/util/zod.js';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

describe('createRng', () => {
  it('is deterministic per seed, and numbers and strings of the same text are the same seed', () => {
    expect(draw(createRng('a'), 20)).toEqual(draw(createRng('a'), 20));
    expect(draw(createRng(5), 10)).toEqual(draw(createRng('5'), 10));
    const a = draw(createRng('a'), 20);
    const b = draw(createRng('b'), 20);
    expect(a.filter((x, i) => x === b[i])).toHaveLength(0);
  });

  it('draws next in [0, 1), int in [0, n) and 32-bit unsigned seeds', () => {
    const r = createRng('ranges');
    const xs = draw(r, 2000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5)).toBeLessThan(0.03);
    const ints = Array.from({ length: 600 }, () => r.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    for (let i = 0; i < 200; i++) {
      const s = r.seed();
      expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    }
    expect(Array.from({ length: 50 }, () => createRng('s').seed())).toEqual(Array(50).fill(createRng('s').seed()));
  });
});

describe('rngStreams', () => {
  it('gives independent init, data and dropout streams: drawing from one never shifts another', () => {
    const fresh = rngStreams(1);
    const want = { init: draw(fresh.init, 5), data: draw(fresh.data, 5), dropout: draw(fresh.dropout, 5) };
    const s = rngStreams(1);
    draw(s.data, 1000);
    s.dropout.seed();
    expect(draw(s.init, 5)).toEqual(want.init);
    const t = rngStreams(1);
    draw(t.init, 333);
    expect(draw(t.dropout, 5)).toEqual(want.dropout);
    expect(draw(t.data, 5)).toEqual(want.data);
    // the three streams differ from each other and from another trial seed
    expect(want.init).not.toEqual(want.data);
    expect(want.data).not.toEqual(want.dropout);
    expect(draw(rngStreams(2).init, 5)).not.toEqual(want.init);
    // and each is the named stream `<seed>:<name>`
    expect(want.dropout).toEqual(draw(createRng('1:dropout'), 5));
  });
});

describe('shuffle', () => {
  it('is an in-place permutation, deterministic per seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const out = shuffle(items, createRng('sh'));
    expect(out).toBe(items);
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(out).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const again = shuffle(
      Array.from({ length: 50 }, (_, i) => i),
      createRng('sh'),
    );
    expect(again).toEqual(out);
    const other = shuffle(
      Array.from({ length: 50 }, (_, i) => i),
      createRng('sh2'),
    );
    expect(other).not.toEqual(out);
  });

  it('reaches every order of 3 items about equally often (Fisher-Yates, no bias)', () => {
    const r = createRng('fy');
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const k = shuffle(['a', 'b', 'c'], r).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
    expect(shuffle([], r)).toEqual([]);
    expect(shuffle(['x'], r)).toEqual(['x']);
  });
});

describe('canonicalJson and sha256', () => {
  it('sorts keys at every depth, keeps array order, drops undefined', () => {
    const v = { b: 1, a: { d: [{ z: 1, y: { q: 2, p: undefined } }, 3], c: undefined }, c0: null };
    expect(canonicalJson(v)).toBe('{"a":{"d":[{"y":{"q":2},"z":1},3]},"b":1,"c0":null}');
    expect(canonicalJson({ y: 1, x: 2 })).toBe(canonicalJson({ x: 2, y: 1 }));
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson('s')).toBe('"s"');
  });

  it('hashes equal values to equal digests (known SHA-256 vectors)', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(new Uint8Array([0x61, 0x62, 0x63]))).toBe(sha256('abc'));
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256(canonicalJson({ b: [1], a: 'x' }))).toBe(sha256('{"a":"x","b":[1]}'));
  });
});

describe('formatZodError', () => {
  const schema = z.object({
    methods: z.array(z.object({ id: z.string(), grid: z.object({ rank: z.array(z.number().int().min(1)) }) })),
  });

  it('writes paths as `methods[2].grid.rank[1]: ...`', () => {
    const r = schema.safeParse({
      methods: [
        { id: 'a', grid: { rank: [1] } },
        { id: 'b', grid: { rank: [] } },
        { id: 'c', grid: { rank: [4, 0] } },
      ],
    });
    expect(r.success).toBe(false);
    expect(formatZodError(r.error!)).toMatch(/^methods\[2\]\.grid\.rank\[1\]: Too small: expected number to be >=1$/);
  });

  it('joins several issues with "; " and takes a prefix', () => {
    const r = schema.safeParse({ methods: [{ id: 7, grid: { rank: [0.5] } }] });
    const text = formatZodError(r.error!, 'sweep');
    const parts = text.split('; ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^sweep\.methods\[0\]\.id: /);
    expect(parts[1]).toMatch(/^sweep\.methods\[0\]\.grid\.rank\[0\]: /);
  });

  it('names the root and lists unrecognized keys', () => {
    expect(formatZodError(z.number().safeParse('x').error!)).toMatch(/^\(root\): /);
    const strict = z.object({ a: z.number().optional() }).strict().safeParse({ b: 1, c: 2 });
    expect(formatZodError(strict.error!)).toMatch(/^\(root\): .*\(b, c\)$/);
    expect(formatZodError(strict.error!, 'params')).toMatch(/^params: .*\(b, c\)$/);
  });

  it('formatPath: numbers as [i], keys dotted', () => {
    expect(formatPath(['a', 0, 'b', 1, 2])).toBe('a[0].b[1][2]');
    expect(formatPath([0, 'x'])).toBe('[0].x');
    expect(formatPath([])).toBe('');
  });
});
