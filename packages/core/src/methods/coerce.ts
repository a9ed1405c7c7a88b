import type { z } from 'zod';

type Shape = Record<string, z.ZodType>;

function shapeOf(schema: unknown): Shape | undefined {
  // zod 4 keeps refinements on the object itself, so a refined object still has its shape
  const shape = (schema as { shape?: unknown } | null)?.shape;
  return shape !== null && typeof shape === 'object' ? (shape as Shape) : undefined;
}

/**
 * A single value where the schema wants a list becomes a one-element list (`--set targets=query`
 * -> `['query']`): only for a field that rejects the value as it is and takes a list there (`[value]`
 * parses, or fails only at its element, so the error names `params.targets[0]`); fields that take
 * a value or a list (LoRA's `targets`) keep what was given.
 */
export function coerceLists(schema: unknown, raw: unknown): unknown {
  const shape = shapeOf(schema);
  if (shape === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    const field = shape[key];
    if (field === undefined || value === undefined || Array.isArray(value)) continue;
    if (field.safeParse(value).success) continue;
    const listed = field.safeParse([value]);
    if (listed.success || listed.error.issues.every((i) => i.path[0] === 0)) out[key] = [value];
  }
  return out;
}
