import { z } from 'zod';

/** A key no schema has: a strict schema must reject it. */
export const PROBE_KEY = '__tunelab_unknown_key_probe__';

interface ObjectJsonSchema {
  type?: unknown;
  properties?: Record<string, { description?: unknown }>;
  required?: string[];
}

/**
 * The schema rules the contract calls mandatory, checked when a method loads (as ESLint checks a
 * rule's meta): a zod 4 object schema, strict (an unknown key is rejected), every field with a
 * default (or optional: an empty config must parse) and a one-line description. Returns the first
 * broken rule as one line saying what to change, or null.
 */
export function schemaProblem(schema: unknown): string | null {
  const s = schema as z.ZodType;
  let json: ObjectJsonSchema;
  try {
    json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as ObjectJsonSchema;
  } catch (e) {
    return `schema must be a zod 4 object schema (z.toJSONSchema failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
  }
  if (json.type !== 'object' || json.properties === undefined) return 'schema must be a zod object schema: z.object({ ... }).strict()';
  const probe = s.safeParse({ [PROBE_KEY]: 1 });
  if (probe.success || !probe.error.issues.some((i) => i.code === 'unrecognized_keys')) {
    return 'schema is not strict: an unknown key is accepted (and a mistyped --set key would be dropped); end it with .strict()';
  }
  for (const [key, field] of Object.entries(json.properties)) {
    if (json.required?.includes(key)) return `schema field '${key}' has no default; add .default(...) so that an empty config parses`;
    if (typeof field.description !== 'string' || field.description.trim() === '')
      return `schema field '${key}' has no description; add .describe('one line for tunelab methods')`;
  }
  return null;
}
