import { decodeSafetensors, encodeSafetensors, isUserError, resolveHubId, type RawTensor } from '@tunelab/core/internal';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { pullRepository, type PullOptions } from '../src/hub/pull.js';
import { tinyWorkspace } from './helpers.js';
import { commitOf, startHubServer, type FixtureRepo, type HubServer } from './hub-server.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));
const file = (name: string) => new Uint8Array(readFileSync(join(FIXTURE, name)));
const text = (s: string) => new TextEncoder().encode(s);

/** bert-tiny as the Hub holds it, with a README and a pickle next to the safetensors. */
function bertFiles(): Record<string, Uint8Array> {
  return {
    '.gitattributes': text('*.safetensors filter=lfs\n'),
    'README.md': text('# bert-tiny\n'),
    'config.json': file('config.json'),
    'model.safetensors': file('model.safetensors'),
    'tokenizer.json': file('tokenizer.json'),
    'tokenizer_config.json': file('tokenizer_config.json'),
    'vocab.txt': file('vocab.txt'),
    'pytorch_model.bin': text('a pickle tunelab never fetches'),
    'onnx/model.onnx': text('not taken'),
  };
}

/** The same weights in two shards and their index, as save_pretrained writes big models. */
function shardedFiles(): Record<string, Uint8Array> {
  const { tensors } = decodeSafetensors(readFileSync(join(FIXTURE, 'model.safetensors')), 'fixture');
  const keys = [...tensors.keys()].sort();
  const half = (ks: string[]) => new Map<string, RawTensor>(ks.map((k) => [k, tensors.get(k)!]));
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const parts = [keys.slice(0, keys.length >> 1), keys.slice(keys.length >> 1)];
  const weight_map = Object.fromEntries(parts.flatMap((ks, i) => ks.map((k) => [k, names[i]!])));
  const { 'model.safetensors': _, ...rest } = bertFiles();
  return {
    ...rest,
    [names[0]!]: new Uint8Array(encodeSafetensors(half(parts[0]!))),
    [names[1]!]: new Uint8Array(encodeSafetensors(half(parts[1]!))),
    'model.safetensors.index.json': text(JSON.stringify({ metadata: {}, weight_map })),
  };
}

const C = {
  main: commitOf('bert main'),
  v1: commitOf('bert v1'),
  sharded: commitOf('sharded'),
  gated: commitOf('gated'),
  pickles: commitOf('pickles'),
};
const v1 = { ...bertFiles(), 'tokenizer_config.json': text('{"do_lower_case": true, "model_max_length": 64}') };

const REPOS: FixtureRepo[] = [
  { kind: 'model', id: 'tunelab-test/bert-tiny', refs: { main: C.main, v1: C.v1 }, commits: { [C.main]: bertFiles(), [C.v1]: v1 } },
  { kind: 'model', id: 'tunelab-test/bert-sharded', refs: { main: C.sharded }, commits: { [C.sharded]: shardedFiles() } },
  { kind: 'model', id: 'tunelab-test/bert-gated', refs: { main: C.gated }, commits: { [C.gated]: bertFiles() }, token: 'hf_secret' },
  {
    kind: 'model',
    id: 'tunelab-test/hostile',
    refs: { main: commitOf('hostile') },
    commits: { [commitOf('hostile')]: { ...bertFiles(), '../../escape.json': text('{}') } },
  },
  {
    kind: 'model',
    id: 'tunelab-test/pickles-only',
    refs: { main: C.pickles },
    commits: { [C.pickles]: { 'config.json': file('config.json'), 'pytorch_model.bin': text('pickle'), 'README.md': text('#') } },
  },
];

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer(REPOS);
});
afterAll(async () => hub.close());

const freshCache = () => mkdtempSync(join(tmpdir(), 'tunelab-pull-'));
const envOf = (cache: string, extra: Record<string, string> = {}) => ({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, ...extra });
const pull = (spec: string, cache: string, extra: Record<string, string> = {}, o: Partial<PullOptions> = {}) =>
  pullRepository(spec, { kind: 'model', env: envOf(cache, extra), ...o });
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('tunelab pull against a stand-in Hub', () => {
  it('pulls a model into the hub cache layout: blobs, a snapshot of links, refs/main; only the files tunelab reads', async () => {
    const cache = freshCache();
    const r = await pull('hf:tunelab-test/bert-tiny', cache);
    const repo = join(cache, 'models--tunelab-test--bert-tiny');
    expect(r.commit).toBe(C.main);
    expect(r.dir).toBe(join(repo, 'snapshots', C.main));
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(C.main);
    expect(readdirSync(r.dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    expect(lstatSync(join(r.dir, 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(r.dir, 'model.safetensors'))).toEqual(readFileSync(join(FIXTURE, 'model.safetensors')));
    // LFS files are named by their SHA-256, small ones by their git blob SHA-1, as huggingface_hub names them
    expect(
      readdirSync(join(repo, 'blobs'))
        .map((b) => b.length)
        .sort(),
    ).toEqual([40, 40, 40, 40, 64]);
    expect(resolveHubId('tunelab-test/bert-tiny', { HF_HUB_CACHE: cache })).toMatchObject({ dir: r.dir, revision: C.main });
    expect(hub.requests.some((q) => q.path.endsWith('pytorch_model.bin'))).toBe(false);
    // again: nothing to download
    const before = hub.requests.length;
    await pull('hf:tunelab-test/bert-tiny', cache);
    expect(hub.requests.slice(before).filter((q) => q.path.includes('/resolve/'))).toEqual([]);
  });

  it('pulls a revision (refs/v1 -> its commit) next to main, and a commit hash with no ref', async () => {
    const cache = freshCache();
    const r = await pull('hf:tunelab-test/bert-tiny@v1', cache);
    expect(r.commit).toBe(C.v1);
    const repo = join(cache, 'models--tunelab-test--bert-tiny');
    expect(readFileSync(join(repo, 'refs', 'v1'), 'utf8')).toBe(C.v1);
    expect(existsSync(join(repo, 'refs', 'main'))).toBe(false);
    expect(readFileSync(join(r.dir, 'tokenizer_config.json'), 'utf8')).toContain('"model_max_length": 64');
    expect(resolveHubId('tunelab-test/bert-tiny@v1', { HF_HUB_CACHE: cache }).dir).toBe(r.dir);
    const byCommit = await pull(`hf:tunelab-test/bert-tiny@${C.main}`, cache);
    expect(readdirSync(join(repo, 'refs'))).toEqual(['v1']);
    expect(resolveHubId(`tunelab-test/bert-tiny@${C.main}`, { HF_HUB_CACHE: cache }).dir).toBe(byCommit.dir);
  });

  it('pulls a sharded model: both shards and the index (the tree listing comes in pages)', async () => {
    const cache = freshCache();
    const r = await pull('hf:tunelab-test/bert-sharded', cache);
    expect(
      readdirSync(r.dir)
        .filter((f) => f.includes('safetensors'))
        .sort(),
    ).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    expect(hub.requests.filter((q) => q.path.includes('/tree/') && q.path.includes('bert-sharded')).length).toBeGreaterThan(1);
  });

  it('a gated repository: refused without HF_TOKEN (401, says to set it), pulled with it (sent as a Bearer token)', async () => {
    const cache = freshCache();
    expect(await refusal(pull('hf:tunelab-test/bert-gated', cache))).toMatch(
      /pull hf:tunelab-test\/bert-gated: the repository is gated or private \(401 from http:\/\/127\.0\.0\.1:\d+\); set HF_TOKEN/,
    );
    expect(readdirSync(cache)).toEqual([]);
    expect(await refusal(pull('hf:tunelab-test/bert-gated', cache, { HF_TOKEN: 'hf_wrong' }))).toMatch(/refused HF_TOKEN \(401\)/);
    const r = await pull('hf:tunelab-test/bert-gated', cache, { HF_TOKEN: 'hf_secret' });
    expect(existsSync(join(r.dir, 'model.safetensors'))).toBe(true);
    expect(
      hub.requests.filter((q) => q.path.includes('bert-gated/resolve/')).every((q) => q.auth === undefined || q.auth.startsWith('Bearer ')),
    ).toBe(true);
  });

  it('an interrupted download resumes with a Range request, in the same run and in the next one', async () => {
    const fixture = readFileSync(join(FIXTURE, 'model.safetensors'));
    const oid = createHash('sha256').update(fixture).digest('hex');
    const cache = freshCache();
    hub.faults.drop.set('model.safetensors', { after: 40_000, times: 1 });
    const r = await pull('hf:tunelab-test/bert-tiny', cache);
    expect(readFileSync(join(r.dir, 'model.safetensors'))).toEqual(fixture);
    // the dropped request, then its retry (a Range request from whatever had arrived: how much did is up to the client's stream)
    expect(hub.faults.drop.get('model.safetensors')!.times).toBe(0);

    // one try only: the run fails, keeps the partial blob, shows no snapshot
    const cache2 = freshCache();
    hub.faults.drop.set('model.safetensors', { after: 30_000, times: 1 });
    expect(await refusal(pull('hf:tunelab-test/bert-tiny', cache2, {}, { attempts: 1 }))).toMatch(
      /model\.safetensors: the download broke off after \d+ of 109504 bytes .*run the same command again to resume it/,
    );
    const repo = join(cache2, 'models--tunelab-test--bert-tiny');
    expect(readdirSync(join(repo, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([`${oid}.incomplete`]);
    expect(existsSync(join(repo, 'snapshots', C.main))).toBe(false);
    expect(existsSync(join(repo, 'refs'))).toBe(false);
    // the next run asks for the rest of the partial blob only (30,000 bytes of it on disk)
    writeFileSync(join(repo, 'blobs', `${oid}.incomplete`), fixture.subarray(0, 30_000));
    const again = await pull('hf:tunelab-test/bert-tiny', cache2, {}, { attempts: 1 });
    expect(hub.requests.at(-1)).toMatchObject({ range: 'bytes=30000-' });
    expect(readFileSync(join(again.dir, 'model.safetensors'))).toEqual(fixture);
    expect(readdirSync(join(repo, 'blobs')).some((b) => b.endsWith('.incomplete'))).toBe(false);
  });

  it("one writer per blob: the lock of a live pull refuses a second pull, a dead pull's lock is taken over", async () => {
    const cache = freshCache();
    const blobs = join(cache, 'models--tunelab-test--bert-tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const oid = createHash('sha256')
      .update(readFileSync(join(FIXTURE, 'model.safetensors')))
      .digest('hex');
    writeFileSync(join(blobs, `${oid}.lock`), String(process.ppid));
    expect(await refusal(pull('hf:tunelab-test/bert-tiny', cache))).toMatch(
      new RegExp(`another pull \\(pid ${process.ppid}\\) is downloading .*${oid}; wait for it to finish`),
    );
    writeFileSync(join(blobs, `${oid}.lock`), '2147483646');
    const r = await pull('hf:tunelab-test/bert-tiny', cache);
    expect(existsSync(join(r.dir, 'model.safetensors'))).toBe(true);
    expect(readdirSync(blobs).some((b) => b.endsWith('.lock'))).toBe(false);
  });

  it('a corrupted blob is refused (hash mismatch): deleted, no snapshot, no ref', async () => {
    const cache = freshCache();
    hub.faults.corrupt.add('model.safetensors');
    try {
      expect(await refusal(pull('hf:tunelab-test/bert-tiny', cache))).toMatch(
        /model\.safetensors: SHA-256 [0-9a-f]{64} does not match the Hub's [0-9a-f]{64}; the download was corrupted and was deleted/,
      );
    } finally {
      hub.faults.corrupt.clear();
    }
    const repo = join(cache, 'models--tunelab-test--bert-tiny');
    expect(readdirSync(join(repo, 'blobs')).some((b) => b.length === 64 || b.endsWith('.incomplete'))).toBe(false);
    expect(existsSync(join(repo, 'snapshots'))).toBe(false);
    expect(existsSync(join(repo, 'refs'))).toBe(false);
  });

  it('a repository with only pickles is refused and nothing is written to the cache', async () => {
    const cache = freshCache();
    expect(await refusal(pull('hf:tunelab-test/pickles-only', cache))).toMatch(
      /pull hf:tunelab-test\/pickles-only: the repository has only pickled weights \(pytorch_model\.bin\); tunelab loads safetensors only/,
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  it('a listing with a path that climbs out of the snapshot is refused, nothing written', async () => {
    const cache = freshCache();
    expect(await refusal(pull('hf:tunelab-test/hostile', cache))).toMatch(
      /the Hub listed a file path tunelab will not write: "\.\.\/\.\.\/escape\.json"/,
    );
    expect(readdirSync(cache)).toEqual([]);
  });

  it('HF_HUB_OFFLINE refuses before any request; a missing repository or revision is a 404 named', async () => {
    const cache = freshCache();
    const n = hub.requests.length;
    expect(await refusal(pull('hf:tunelab-test/bert-tiny', cache, { HF_HUB_OFFLINE: '1' }))).toMatch(/HF_HUB_OFFLINE=1 forbids downloads/);
    expect(hub.requests.length).toBe(n);
    expect(await refusal(pull('hf:tunelab-test/nope', cache))).toMatch(/not found on http:\/\/127\.0\.0\.1:\d+ \(404\)/);
    expect(await refusal(pull('hf:tunelab-test/bert-tiny@v9', cache))).toMatch(/\(404\)/);
    expect(await refusal(pull('hf:../etc', cache))).toMatch(/is not a Hugging Face repository id/);
  });

  it('the CLI: tunelab pull, then tunelab model-info hf:<id> offline on what it pulled', async () => {
    const ws = tinyWorkspace();
    const cache = freshCache();
    vi.stubEnv('HF_ENDPOINT', hub.url);
    vi.stubEnv('HF_HUB_CACHE', cache);
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      expect(await main(['pull', 'hf:tunelab-test/bert-tiny', '--json'])).toBe(0);
      expect(JSON.parse(out.trim()).commit).toBe(C.main);
      expect(err).toMatch(/pulled hf:tunelab-test\/bert-tiny@main \(commit [0-9a-f]{40}\): 5 files/);
      out = '';
      vi.stubEnv('HF_HUB_OFFLINE', '1');
      vi.stubEnv('HF_ENDPOINT', 'http://127.0.0.1:9');
      expect(await main(['model-info', 'hf:tunelab-test/bert-tiny', ...ws.args])).toBe(0);
      expect(out).toMatch(/model\s+hf:tunelab-test\/bert-tiny/);
      expect(out).toMatch(new RegExp(`revision ${C.main}`));
      expect(await main(['pull', 'hf:tunelab-test/bert-tiny'])).toBe(2);
      expect(err).toMatch(/tunelab: pull hf:tunelab-test\/bert-tiny: HF_HUB_OFFLINE=1 forbids downloads/);
    } finally {
      o.mockRestore();
      e.mockRestore();
      vi.unstubAllEnvs();
    }
  }, 120_000);
});
