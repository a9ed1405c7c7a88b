import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Example, TaskSplits } from '../contracts/task.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { carveSplits } from './tasks/splits.js';

/** Fewer examples than this cannot be carved into three non-empty splits that mean anything. */
export const MIN_EXAMPLES_TO_SPLIT = 10;

export interface UserFileSplitsOptions<F extends { bytes: Uint8Array }, C, E extends Example> {
  /** the train file as the user wrote it (relative to `cwd`) */
  spec: string;
  cwd: string;
  /** reads and checks one file (the train file first, then dev, then test) */
  read: (shown: string) => Promise<F>;
  /** once every file is read: what the train file fixes for all of them (its labels); may throw */
  prepare: (train: F) => C;
  /** one file's examples, one per record */
  toExamples: (file: F, ctx: C) => E[];
  /** the hint after "give at least 10, or " when train is too small to carve */
  tooFewHint: (ext: string, isTrain: boolean) => string;
}

/**
 * The splits of a user's file, for every `file:` loader: dev from `dev.<ext>` (or
 * `validation.<ext>`) and test from `test.<ext>` beside a file called `train.<ext>` (any other
 * file is split on its own); a split without its file is carved out of train (80/10/10 when both
 * are missing), seeded by the train file's content so the same file always gives the same split.
 */
export async function userFileSplits<F extends { bytes: Uint8Array }, C, E extends Example>(
  o: UserFileSplitsOptions<F, C, E>,
): Promise<{ ctx: C; splits: TaskSplits<E>; files: { shown: string; file: F }[] }> {
  const { spec, cwd } = o;
  const train = await o.read(spec);
  // Only a file called train.* has siblings; any other file is split on its own.
  const ext = extname(spec);
  const isTrain = basename(spec, ext).toLowerCase() === 'train';
  const sibling = (...names: string[]) =>
    isTrain ? names.map((n) => join(dirname(spec), n + ext)).find((p) => existsSync(resolve(cwd, p))) : undefined;
  const devPath = sibling('dev', 'validation');
  const testPath = sibling('test');
  const dev = devPath === undefined ? undefined : await o.read(devPath);
  const test = testPath === undefined ? undefined : await o.read(testPath);

  const ctx = o.prepare(train);
  let splits: TaskSplits<E> = {
    train: o.toExamples(train, ctx),
    dev: dev ? o.toExamples(dev, ctx) : [],
    test: test ? o.toExamples(test, ctx) : [],
  };
  if (!dev || !test) {
    if (splits.train.length < MIN_EXAMPLES_TO_SPLIT) {
      throw new UserError(
        `${spec}: ${splits.train.length} examples are too few to split off dev/test; ` +
          `give at least ${MIN_EXAMPLES_TO_SPLIT}, or ${o.tooFewHint(ext, isTrain)}`,
      );
    }
    const carved = carveSplits(splits.train, sha256(train.bytes), { dev: !dev, test: !test });
    splits = { train: carved.train, dev: dev ? splits.dev : carved.dev, test: test ? splits.test : carved.test };
  }
  const files = [{ shown: spec, file: train }];
  if (devPath && dev) files.push({ shown: devPath, file: dev });
  if (testPath && test) files.push({ shown: testPath, file: test });
  return { ctx, splits, files };
}
