/** Issue 26, class 1: one reader for every file, bounded, regular files only, one line naming the path. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFile, readSafetensorsFile } from '../../src/checkpoint/io.js';
import { resolveHubId } from '../../src/hub/cache.js';
import { isUserError } from '../../src/util/errors.js';
import { readFileChecked, readFileCheckedAsync } from '../../src/util/read-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-read-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function messageOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('no error');
}

describe('readFileChecked', () => {
  it('reads a regular file, and one through a link', async () => {
    writeFileSync(join(dir, 'a'), 'hello');
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    expect(readFileChecked(join(dir, 'b'), { what: 'x', maxBytes: 5 }).toString()).toBe('hello');
    expect((await readFileCheckedAsync(join(dir, 'b'), { what: 'x', maxBytes: 5 })).toString()).toBe('hello');
  });
  it('refuses a file above the limit before reading it', async () => {
    writeFileSync(join(dir, 'a'), 'hello!');
    expect(await messageOf(() => readFileChecked(join(dir, 'a'), { what: 'config', maxBytes: 5 }))).toBe(
      `config ${join(dir, 'a')}: 6 bytes, more than the 5 a config may have`,
    );
  });
  it('a checkpoint that is a FIFO, a device, a folder or missing', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo.safetensors')]);
    symlinkSync('/dev/zero', join(dir, 'zero.safetensors'));
    mkdirSync(join(dir, 'dir.safetensors'));
    expect(await messageOf(() => readSafetensorsFile(join(dir, 'fifo.safetensors')))).toMatch(
      /fifo\.safetensors: a FIFO \(named pipe\), expected a regular file$/,
    );
    expect(await messageOf(() => readSafetensorsFile(join(dir, 'zero.safetensors')))).toMatch(
      /zero\.safetensors: a device, expected a regular file$/,
    );
    expect(await messageOf(() => readSafetensorsFile(join(dir, 'dir.safetensors')))).toMatch(
      /dir\.safetensors: a folder, expected a regular file$/,
    );
    expect(await messageOf(() => readSafetensorsFile(join(dir, 'none.safetensors')))).toMatch(
      /^checkpoint .*none\.safetensors: file not found$/,
    );
  });
  it('a JSON config linked to /dev/zero', async () => {
    symlinkSync('/dev/zero', join(dir, 'config.json'));
    expect(await messageOf(() => readJsonFile(join(dir, 'config.json'), 'model config'))).toMatch(/^model config .*config\.json: a device/);
  });
  it('a hub ref that is a FIFO or a device', async () => {
    const repo = join(dir, 'models--org--m');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'abc'), { recursive: true });
    symlinkSync('/dev/zero', join(repo, 'refs', 'main'));
    execFileSync('mkfifo', [join(repo, 'refs', 'dev')]);
    const env = { HF_HUB_CACHE: dir };
    expect(await messageOf(() => resolveHubId('org/m', env))).toMatch(/^hub ref .*refs\/main: a device, expected a regular file$/);
    expect(await messageOf(() => resolveHubId('org/m@dev', env))).toMatch(/^hub ref .*refs\/dev: a FIFO/);
  });
});
