import { z } from 'zod';

/** Selects every linear of the chosen layers (PEFT's `target_modules="all-linear"`). */
export const ALL_LINEAR = 'all-linear';

const targetName = z.string().min(1);
const layerIndex = z.number().int();

/**
 * LoRA's config: data with its help text beside each field (PEFT `LoraConfig`). Which targets and
 * layers exist depends on the model, so `apply` checks those against it; the schema checks types
 * and ranges.
 */
export const loraSchema = z
  .object({
    rank: z
      .number()
      .int()
      .min(1)
      .default(8)
      .describe('r: inner dimension of the update B·A; trainable parameters per matrix = r·(d_in + d_out); at most min(d_in, d_out)'),
    alpha: z
      .number()
      .positive()
      .default(16)
      .describe('update scale numerator: the update is multiplied by alpha/r, so changing r keeps its size comparable'),
    dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0.05)
      .describe('dropout probability on the input of the low-rank path, training only (0 <= p < 1)'),
    targets: z
      .union([targetName, z.array(targetName).min(1)], {
        error: `expected '${ALL_LINEAR}', a target name or a list of them (query, key, value, output, up, down, gate, full names like 'layers.0.attn.query', or the checkpoint's module names as PEFT takes them: q_proj, v_proj, c_attn, ...)`,
      })
      .default(() => ['query', 'value'])
      .describe(
        `linears to adapt: short names query|key|value|output|up|down|gate (in every chosen layer), full names like 'layers.1.attn.key', '${ALL_LINEAR}', ` +
          `or as PEFT's target_modules on a Hugging Face checkpoint: module names (q_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; GPT-2's c_attn, c_proj, c_fc; BERT's query, key, value, dense) ` +
          `matching module paths that end with '.<name>', or a regular expression over whole module paths. The default, query and value, is PEFT's default for every family: ` +
          `q_proj+v_proj on Llama/Mistral/Qwen2, query+value on BERT/RoBERTa, and c_attn on GPT-2, where q, k and v are one fused module (one LoRA: A [d, r] shared, B [r, 3d])`,
      ),
    layers: z
      .union([z.literal('all'), layerIndex, z.array(layerIndex).min(1)], {
        error: "expected 'all', a layer index or a list of layer indices",
      })
      .default('all')
      .describe("layers where short target names apply: 'all' or indices (negative counts from the end, -1 = last)"),
  })
  .strict();

export type LoraConfig = z.output<typeof loraSchema>;
