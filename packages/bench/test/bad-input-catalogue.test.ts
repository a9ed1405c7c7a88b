/**
 * The catalogue of bad inputs (issue 8): every entry (bad-input-cases.ts) must give one clear line
 * that names the problem, a non-zero exit, no stack trace, and nothing written to the output folder
 * or the model cache. Runs in-process through the CLI's `main` so that the cases stay quick.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { cases, closeCatalogue, prepareCatalogue, ws } from './bad-input-cases.js';

/** A case's guard: over 60 s or 1 GB of memory (resident growth) fails it. */
const LIMIT_MS = 60_000;
const LIMIT_BYTES = 2 ** 30;
async function guarded(run: () => Promise<number>, name: string): Promise<number> {
  const rss0 = process.memoryUsage().rss;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: over ${LIMIT_MS / 1000} s`)), LIMIT_MS);
  });
  let code: number;
  try {
    code = await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const grew = process.memoryUsage().rss - rss0;
  if (grew > LIMIT_BYTES) throw new Error(`${name}: the process grew ${grew} bytes (limit ${LIMIT_BYTES})`);
  return code;
}

let out = '';
let err = '';

beforeAll(prepareCatalogue, 300_000);

afterAll(closeCatalogue);

afterEach(() => {
  process.exitCode = undefined;
});

const modelsIn = (cache: string) => (existsSync(join(cache, 'models')) ? readdirSync(join(cache, 'models')) : []);

describe('the bad-input catalogue: a clear message, a non-zero exit, nothing written', () => {
  it('has at least 30 entries', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  it("has at least 25 of issue 26's entries, at least one per class", () => {
    const ours = cases.filter((c) => /\(class \d\)$/.test(c.name));
    expect(ours.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ours.map((c) => /\(class (\d)\)$/.exec(c.name)![1])).size).toBeGreaterThanOrEqual(7);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const args = c.args();
      const outFlag = args.indexOf('--out');
      const outDir = outFlag >= 0 ? args[outFlag + 1]! : undefined;
      const before = readdirSync(ws.dir).sort();
      const models = modelsIn(ws.cache);
      out = '';
      err = '';
      const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
      const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
      const cwd = process.cwd();
      let code: number;
      const saved = Object.keys(c.env ?? {}).map((k) => [k, process.env[k]] as const);
      try {
        Object.assign(process.env, c.env);
        if (c.cwd) process.chdir(c.cwd);
        code = await guarded(() => main(args), c.name);
      } finally {
        for (const [k, v] of saved) v === undefined ? delete process.env[k] : (process.env[k] = v);
        process.chdir(cwd);
        o.mockRestore();
        e.mockRestore();
      }
      expect(err).toMatch(c.message);
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).not.toMatch(/\n\s+at /); // no stack trace
      expect(err.trim().split('\n')[0]).toMatch(/^tunelab: /);
      if (outDir && !c.outExists) expect(existsSync(outDir), `${outDir} must not be created`).toBe(false);
      expect(readdirSync(ws.dir).sort()).toEqual(before);
      expect(modelsIn(ws.cache)).toEqual(models);
      expect(existsSync(join(ws.dir, 'elsewhere', 'x'))).toBe(false);
      expect(existsSync(join(ws.dir, 'outside'))).toBe(false);
      c.after?.();
    });
  }
});
