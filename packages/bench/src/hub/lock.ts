import { UserError } from '@tunelab/core/internal';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/**
 * One writer per partial blob: `<blob>.lock` holds the pulling process's pid, created with O_EXCL.
 * A lock whose process is gone (killed mid-pull) is taken over; a live one is a UserError, so two
 * pulls of one repository never append to the same `.incomplete` file.
 */
export function lockBlob(path: string, what: string): () => void {
  const lock = `${path}.lock`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`${what}: cannot create ${lock} (${(e as Error).message})`);
      const pid = Number(readText(lock));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new UserError(`${what}: another pull (pid ${pid}) is downloading ${path}; wait for it to finish`);
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new UserError(`${what}: cannot lock ${lock}; delete it if no pull is running`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
