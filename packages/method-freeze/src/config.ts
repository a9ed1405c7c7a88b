import { z } from 'zod';

/** The parts of a layer Freeze can unfreeze; `all` adds both LayerNorms to ffn and attn. */
export const FREEZE_MODULES = ['ffn', 'attn', 'all'] as const;
export type FreezeModule = (typeof FREEZE_MODULES)[number];

const ALLOWED = "allowed 'ffn', 'attn', 'all' or a non-empty list of them";

const moduleName = z.enum(FREEZE_MODULES, { error: (iss) => `${JSON.stringify(iss.input)} is not a module; ${ALLOWED}` });

/**
 * One spelling per selection, so configs that train the same weights parse (and hash) the same:
 * duplicates dropped, `all` absorbs the rest, a one-element list becomes its name.
 */
export function canonicalModules(m: FreezeModule | readonly FreezeModule[]): FreezeModule | FreezeModule[] {
  const set = new Set<FreezeModule>(typeof m === 'string' ? [m] : m);
  if (set.has('all')) return 'all';
  const list = FREEZE_MODULES.filter((x) => set.has(x));
  return list.length === 1 ? list[0]! : list;
}

export const freezeSchema = z
  .object({
    trainableLayers: z
      .number()
      .int({ error: (iss) => `${String(iss.input)} is not a whole number of layers; allowed a non-zero integer` })
      .refine((n) => n !== 0, { error: '0 trains no layer; allowed a positive N (the last N layers) or a negative N (the first |N|)' })
      .default(1)
      .describe('how many layers train: N > 0 the last N layers, N < 0 the first |N| layers'),
    modules: z
      .union([moduleName, z.array(moduleName).min(1, `an empty list trains nothing; ${ALLOWED}`)], {
        error: (iss) => `${JSON.stringify(iss.input)} is not a module; ${ALLOWED}`,
      })
      .transform(canonicalModules)
      .default('ffn')
      .describe("what trains in those layers: 'ffn' (up/down), 'attn' (query/key/value/output), 'all' (also both LayerNorms), or a list"),
  })
  .strict();

export type FreezeConfig = z.infer<typeof freezeSchema>;
