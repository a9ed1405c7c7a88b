import type { TensorSlot } from '../checkpoint/hf-folder.js';
import type { TaskKind } from '../contracts/task.js';
import { readGpt2Checkpoint } from '../families/gpt2/load.js';
import { gpt2Slots } from '../families/gpt2/names.js';
import { readLlamaCheckpoint } from '../families/llama/load.js';
import { llamaSlots } from '../families/llama/names.js';
import type { ConformanceBase } from './bases.js';

/** Elements of every weight the slots list: a decoder's closed-form parameter count from its config. */
const slotCount = (slots: readonly TensorSlot[]) => slots.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/**
 * The parameters of a decoder's head (`causalHead`): none for generation (the model's own LM
 * head), a bias-free `score` [d, labels] on the last token for classification and pairs, core's
 * per-token linear ((d + 1)·labels) for tagging.
 */
function headCount(kind: TaskKind, d: number, numLabels: number): number {
  if (kind === 'generation') return 0;
  return kind === 'tagging' ? (d + 1) * numLabels : d * numLabels;
}

/**
 * A decoder checkpoint folder (GPT-2, or Llama/Mistral/Qwen2) as a conformance backbone, read
 * once: its backbone count from its slots (an untied LM head only under generation: the other
 * heads drop it, `LlamaDecoder.createHead`), and `causalHead`'s count. Undefined for another
 * `model_type`.
 */
export async function loadDecoderBase(dir: string, modelType: string): Promise<ConformanceBase | undefined> {
  if (modelType === 'gpt2') {
    const c = await readGpt2Checkpoint(dir);
    const backbone = slotCount(gpt2Slots(c.config));
    return {
      instantiate: () => c.instantiate(),
      tokenizer: c.tokenizer,
      counts: (kind, n) => ({ backbone, head: headCount(kind, c.config.hidden, n) }),
    };
  }
  if (['llama', 'mistral', 'qwen2'].includes(modelType)) {
    const c = await readLlamaCheckpoint(dir);
    const withHead = slotCount(llamaSlots(c.config));
    const without = slotCount(llamaSlots({ ...c.config, tieWordEmbeddings: true }));
    return {
      instantiate: () => c.instantiate(),
      tokenizer: c.tokenizer,
      counts: (kind, n) => ({ backbone: kind === 'generation' ? withHead : without, head: headCount(kind, c.config.hidden, n) }),
    };
  }
  return undefined;
}
