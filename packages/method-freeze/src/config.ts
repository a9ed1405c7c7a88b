import { z } from 'zod';

/** tunelab's names for the parts of a layer Freeze can unfreeze; `all` adds both norms to ffn and attn. */
export const FREEZE_MODULES = ['ffn', 'attn', 'all'] as const;
/** `ffn`, `attn`, `all`, or a module name of a Hugging Face checkpoint (`mlp`, `self_attn`, `q_proj`, ...) */
export type FreezeModule = string;

const ALLOWED =
  "allowed 'ffn', 'attn', 'all', a module name of the checkpoint (LLaMA-Factory's freeze_trainable_modules: mlp, self_attn, attn, ...; or deeper ones like q_proj) or a non-empty list of them";

const moduleName = z
  .string({ error: (iss) => `${JSON.stringify(iss.input)} is not a module; ${ALLOWED}` })
  .regex(/^[A-Za-z_][\w.]*$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a module name; ${ALLOWED}` });

/**
 * One spelling per selection, so configs that train the same weights parse (and hash) the same:
 * duplicates dropped, `all` absorbs the rest, tunelab's names first in their order and module names
 * sorted after them, a one-element list becomes its name.
 */
export function canonicalModules(m: FreezeModule | readonly FreezeModule[]): FreezeModule | FreezeModule[] {
  const set = new Set<FreezeModule>(typeof m === 'string' ? [m] : m);
  if (set.has('all')) return 'all';
  const ours: readonly string[] = FREEZE_MODULES;
  const list = [...ours.filter((x) => set.has(x)), ...[...set].filter((x) => !ours.includes(x)).sort()];
  return list.length === 1 ? list[0]! : list;
}

export const freezeSchema = z
  .object({
    trainableLayers: z
      .number()
      .int({ error: (iss) => `${String(iss.input)} is not a whole number of layers; allowed a non-zero integer` })
      .refine((n) => n !== 0, { error: '0 trains no layer; allowed a positive N (the last N layers) or a negative N (the first |N|)' })
      .default(1)
      .describe("how many layers train (LLaMA-Factory's freeze_trainable_layers): N > 0 the last N layers, N < 0 the first |N| layers"),
    modules: z
      .union([moduleName, z.array(moduleName).min(1, `an empty list trains nothing; ${ALLOWED}`)], {
        error: (iss) => `${JSON.stringify(iss.input)} is not a module; ${ALLOWED}`,
      })
      .transform(canonicalModules)
      .default('ffn')
      .describe(
        "what trains in those layers: 'ffn' (up/down, and gate in SwiGLU FFNs), 'attn' (query/key/value/output), 'all' (also the layer's norms), " +
          "or on a Hugging Face checkpoint its module names as LLaMA-Factory's freeze_trainable_modules (mlp, self_attn; GPT-2's attn, mlp, ln_1; BERT's attention, intermediate, output) " +
          'or deeper ones (q_proj, c_attn, dense); a name or a list',
      ),
  })
  .strict();

export type FreezeConfig = z.infer<typeof freezeSchema>;
