import type { TensorSlot } from '../checkpoint/hf-folder.js';
import { readGpt2Checkpoint } from '../families/gpt2/load.js';
import { gpt2Slots } from '../families/gpt2/names.js';
import { readLlamaCheckpoint } from '../families/llama/load.js';
import { llamaSlots } from '../families/llama/names.js';
import type { ConformanceBase } from './bases.js';

/** Elements of every weight the slots list: a decoder's closed-form parameter count from its config. */
const slotCount = (slots: readonly TensorSlot[]) => slots.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/**
 * A decoder checkpoint folder (GPT-2, or Llama/Mistral/Qwen2) as a conformance backbone, read
 * once: its backbone count from its slots (without an LM head: the task heads never read it), and
 * core's masked-mean head ((d + 1)·labels), which decoders use for classification. Undefined for another `model_type`.
 */
export async function loadDecoderBase(dir: string, modelType: string): Promise<ConformanceBase | undefined> {
  if (modelType === 'gpt2') {
    const c = await readGpt2Checkpoint(dir);
    return base(c, slotCount(gpt2Slots(c.config)), c.config.hidden);
  }
  if (['llama', 'mistral', 'qwen2'].includes(modelType)) {
    const c = await readLlamaCheckpoint(dir);
    // the task heads drop an untied lm_head (LlamaDecoder.createHead)
    return base(c, slotCount(llamaSlots({ ...c.config, tieWordEmbeddings: true })), c.config.hidden);
  }
  return undefined;
}

function base(c: Pick<ConformanceBase, 'tokenizer' | 'instantiate'>, backbone: number, d: number): ConformanceBase {
  return {
    instantiate: () => c.instantiate(),
    tokenizer: c.tokenizer,
    counts: (_kind, numLabels) => ({ backbone, head: (d + 1) * numLabels }),
  };
}
