/** Issue 26, classes 1 and 7: data files that are not files, and user data that would train on the wrong thing. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalLabel } from '../../src/data/labels.js';
import { loadFileTask } from '../../src/data/loaders.js';
import { isUserError } from '../../src/util/errors.js';
import { firstBadByte } from '../../src/util/read-file.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tunelab-hostile-data-'));
  mkdirSync(join(cwd, 'data'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const write = (name: string, content: string | Uint8Array) => writeFileSync(join(cwd, 'data', name), content);
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function loadError(spec: string): Promise<string> {
  try {
    await loadFileTask(spec, cwd);
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`${spec} loaded without error`);
}

describe('data files that are not regular files', () => {
  it('a FIFO is refused unread (it would block)', async () => {
    execFileSync('mkfifo', [join(cwd, 'data', 'train.jsonl')]);
    expect(await loadError('data/train.jsonl')).toMatch(/^data file .*data\/train\.jsonl: a FIFO \(named pipe\), expected a regular file$/);
  });
  it('a link to a device is refused unread (it would read without end)', async () => {
    symlinkSync('/dev/zero', join(cwd, 'data', 'train.jsonl'));
    expect(await loadError('data/train.jsonl')).toMatch(/data\/train\.jsonl: a device, expected a regular file$/);
  });
  it('a folder is refused', async () => {
    mkdirSync(join(cwd, 'data', 'train.csv'));
    expect(await loadError('data/train.csv')).toMatch(/data\/train\.csv: a folder, expected a regular file$/);
  });
});

describe('user data', () => {
  it('duplicate CSV header columns are refused', async () => {
    write('train.csv', 'text,label,label\na,x,y\nb,y,x\n');
    expect(await loadError('data/train.csv')).toBe(
      'data/train.csv:1: the header names column "label" twice; each column needs its own name',
    );
  });
  it('a single label class is refused', async () => {
    write('train.jsonl', jsonl(Array.from({ length: 20 }, (_, i) => ({ text: `t ${i}`, label: 'same' }))));
    expect(await loadError('data/train.jsonl')).toMatch(/^data\/train\.jsonl: every label is "same"; a task needs at least two classes/);
  });
  it('invalid UTF-8 names the line and the byte offset', async () => {
    write('train.jsonl', Buffer.concat([Buffer.from('{"text":"ok","label":"a"}\n{"text":"caf'), Buffer.from([0xe9, 0x22])]));
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:2: the text is not valid UTF-8 (byte 38); save the file as UTF-8');
  });
  it('one rule for label identity: numbers are numbers, other labels are trimmed text compared exactly', async () => {
    expect(['01', '1', '1.0', ' 1 ', '+1'].map(canonicalLabel)).toEqual(['1', '1', '1', '1', '1']);
    expect([1, 1.0, 2.5, -0].map(canonicalLabel)).toEqual(['1', '1', '2.5', '0']);
    expect(['2.0', '2.50', 'Yes', 'yes ', '1e3', 'B-PER'].map(canonicalLabel)).toEqual(['2', '2.5', 'Yes', 'yes', '1e3', 'B-PER']);
    const labels = ['01', '2.0', 1, '2', 1.0, '1'];
    write('train.jsonl', jsonl(Array.from({ length: 24 }, (_, i) => ({ text: `t ${i}`, label: labels[i % labels.length] }))));
    const task = await loadFileTask('data/train.jsonl', cwd);
    expect(task.labels).toEqual(['1', '2']);
  });
});

describe('firstBadByte agrees with a strict decoder', () => {
  it('on valid and invalid sequences', () => {
    const cases: number[][] = [
      [0x61],
      [0xc3, 0xa9],
      [0xc3],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xff],
      [0x61, 0x80],
    ];
    for (const c of cases) {
      const bytes = new Uint8Array(c);
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstBadByte(bytes) < 0, c.join(',')).toBe(valid);
    }
  });
});
