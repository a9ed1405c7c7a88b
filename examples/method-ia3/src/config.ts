import { z } from 'zod';

/** Where IA³ rescales: the keys' and values' outputs, and the FFN's inner activation. */
export const IA3_TARGETS = ['key', 'value', 'ffn'] as const;
export type Ia3Target = (typeof IA3_TARGETS)[number];

const ALLOWED = `allowed ${IA3_TARGETS.map((t) => `'${t}'`).join(', ')}`;

export const ia3Schema = z
  .object({
    targets: z
      .array(z.enum(IA3_TARGETS, { error: (iss) => `${JSON.stringify(iss.input)} is not a target; ${ALLOWED}` }))
      .min(1, `an empty list rescales nothing; ${ALLOWED}`)
      // one spelling per selection, so equal configs hash equal
      .transform((ts) => IA3_TARGETS.filter((t) => ts.includes(t)))
      .default([...IA3_TARGETS])
      .describe("what is rescaled: 'key' and 'value' (attention outputs, d each), 'ffn' (the FFN inner activation, m·d)"),
  })
  .strict();

export type Ia3Config = z.infer<typeof ia3Schema>;
