import type { z } from 'zod';

/** `methods[2].grid.rank[1]: expected integer >= 1`-style text, one issue per line part. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

export function formatZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = formatPath([...(prefix ? [prefix] : []), ...i.path]);
      const keys = i.code === 'unrecognized_keys' ? ` (${(i as { keys: string[] }).keys.join(', ')})` : '';
      return `${path || '(root)'}: ${i.message}${keys}`;
    })
    .join('; ');
}
