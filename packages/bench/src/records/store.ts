import { READ_LIMITS, readFileChecked, UserError } from '@tunelab/core/internal';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { recordProblem, type SweepRecord } from './schema.js';

/** The results files a sweep folder may hold: `results.jsonl`, or one per shard. */
export const RESULTS_FILE = /^results(\.shard-\d+-of-\d+)?\.jsonl$/;

export interface ResultsRead {
  /** by trialId: the first `ok` record, else the latest attempt */
  records: Map<string, SweepRecord>;
  /** the results files read, in merge order */
  files: string[];
  /** complete, parsed record lines (before dedupe) */
  lines: number;
  /** dropped unterminated last lines (a writer killed mid-line) */
  warnings: string[];
  /** `file:line: why` for complete lines that are not records */
  errors: string[];
  /** by trialId: `file:line` of the record kept, so a reader can name the line a problem is on */
  where: Map<string, string>;
}

export interface ReadOptions {
  /** called with each warning as it is found (also collected in `warnings`) */
  warn?: (line: string) => void;
}

/**
 * Read and merge every `results*.jsonl` of a sweep folder (the unsharded file and each shard's),
 * or of several folders in the order given (shards copied back from several machines).
 * A last line without its newline was cut off by a crash: it is dropped with a warning and never
 * parsed, so a half-written record can never be taken for a finished one.
 */
export function readResults(dirs: string | readonly string[], opts: ReadOptions = {}): ResultsRead {
  const out: ResultsRead = { records: new Map(), files: [], lines: 0, warnings: [], errors: [], where: new Map() };
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) readFolder(dir, out, opts);
  return out;
}

function readFolder(dir: string, out: ResultsRead, opts: ReadOptions): void {
  if (!existsSync(dir)) return;
  const names = readdirSync(dir)
    .filter((n) => RESULTS_FILE.test(n))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    out.files.push(file);
    const parts = readFileChecked(file, { what: 'results file', maxBytes: READ_LIMITS.records }).toString('utf8').split('\n');
    const tail = parts.pop()!; // text after the last newline: '' for a whole file
    if (tail.trim() !== '') {
      const warning = `${file}:${parts.length + 1}: dropped an unterminated last line (${tail.length} bytes; a sweep was killed while writing it)`;
      out.warnings.push(warning);
      opts.warn?.(warning);
    }
    parts.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        out.errors.push(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
        return;
      }
      const problem = recordProblem(value);
      if (problem) return void out.errors.push(`${file}:${i + 1}: ${problem}`);
      out.lines++;
      if (merge(out.records, value as SweepRecord)) out.where.set((value as SweepRecord).trialId, `${file}:${i + 1}`);
    });
  }
}

/** First `ok` wins; until there is one, a newer attempt (a retry) replaces an older failure. */
function merge(records: Map<string, SweepRecord>, r: SweepRecord): boolean {
  const seen = records.get(r.trialId);
  if (seen !== undefined && seen.status === 'ok') return false;
  records.set(r.trialId, r);
  return true;
}

export interface ResultsWriter {
  append(record: SweepRecord): void;
  close(): void;
}

/**
 * Open this process's own results file for appending. A torn last line left by a killed writer is
 * cut off first: appending after it would glue the next record onto it and make a malformed line.
 * Only the lock holder opens the file, so cutting is safe.
 */
export function openResultsFile(file: string, warn: (line: string) => void): ResultsWriter {
  if (existsSync(file)) {
    const buf = readFileChecked(file, { what: 'results file', maxBytes: READ_LIMITS.records });
    if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) {
      const keep = buf.lastIndexOf(0x0a) + 1;
      truncateSync(file, keep);
      warn(`${file}: cut an unterminated last line (${buf.length - keep} bytes) left by a killed sweep`);
    }
  }
  return appendJsonLines<SweepRecord>(file);
}

/**
 * One JSON value per line, each written whole and fsynced: after a crash a line is either there or
 * not. A write that fails (the disk is full) is cut back off, so no partial line stays behind, and
 * the error names the file.
 */
export function appendJsonLines<T>(file: string): { append(value: T): void; close(): void } {
  const fd = openSync(file, 'a');
  return {
    append(value) {
      const bytes = Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
      const size = fstatSync(fd).size;
      try {
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        fsyncSync(fd);
      } catch (e) {
        try {
          ftruncateSync(fd, size);
        } catch {
          // the next open cuts a torn last line anyway (openResultsFile, readRungs)
        }
        const err = e as NodeJS.ErrnoException;
        const why = err.code === 'ENOSPC' ? 'no space left on the device' : err.message;
        throw new UserError(`cannot append to ${file}: ${why}; nothing of this line was kept: free space and run the same command again`);
      }
    },
    close: () => closeSync(fd),
  };
}
