import {
  Encoder,
  HfEncoder,
  applyMethod,
  headFor,
  createRng,
  parseHfConfig,
  rngStreams,
  train,
  type Backbone,
  type EncodedSplit,
  type EncoderConfig,
  type MethodRegistry,
  type ResolvedTraining,
} from '@tunelab/core/internal';

/** A benchmark model: random init is enough, only the step time is measured. */
export interface PerfModel {
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  seq: number;
  /** sequences per step (default PERF_BATCH) */
  batch?: number;
  /** `bert`: a post-LN BERT (Hugging Face layout, vocabulary 30,522, exact GELU) instead of the zoo's pre-LN encoder */
  family?: 'bert';
  /** measured only on a GPU (tensorflow-gpu, or webgpu on a hardware adapter): far too slow on any CPU */
  gpuOnly?: boolean;
}

export interface PerfMethod {
  label: string;
  id: string;
  params: Record<string, unknown>;
}

/** The three models of issue 4 (batch 32); heads as in the zoo (64-wide heads at d256). */
export const PERF_MODELS: readonly PerfModel[] = [
  { name: 'L2 d64 seq32', layers: 2, hidden: 64, heads: 2, seq: 32 },
  { name: 'L4 d128 seq32', layers: 4, hidden: 128, heads: 4, seq: 32 },
  { name: 'L6 d256 seq64', layers: 6, hidden: 256, heads: 4, seq: 64 },
  // issue 12: a BERT-base-shaped model (random weights), batch 8, 128 tokens
  { name: 'BERT-base seq128', layers: 12, hidden: 768, heads: 12, seq: 128, batch: 8, family: 'bert' },
  // issue 13: the same shape at the batch of GPU runs (32), measured only where a GPU trains
  { name: 'BERT-base-b32 seq128', layers: 12, hidden: 768, heads: 12, seq: 128, batch: 32, family: 'bert', gpuOnly: true },
];

/** bert-base-uncased's config.json, as transformers writes it. */
const BERT_BASE_CONFIG = {
  model_type: 'bert',
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
};

export const batchOf = (m: PerfModel) => m.batch ?? PERF_BATCH;
const vocabOf = (m: PerfModel) => (m.family === 'bert' ? BERT_BASE_CONFIG.vocab_size : VOCAB);

function backbone(m: PerfModel, rng: ReturnType<typeof rngStreams>['init']): Backbone {
  if (m.family !== 'bert') return Encoder.init(encoderConfig(m), rng);
  const c = {
    ...BERT_BASE_CONFIG,
    num_hidden_layers: m.layers,
    hidden_size: m.hidden,
    num_attention_heads: m.heads,
    intermediate_size: 4 * m.hidden,
  };
  return HfEncoder.init(parseHfConfig(c, 'BERT-base shape'), rng);
}

export const PERF_METHODS: readonly PerfMethod[] = [
  { label: 'full', id: 'sft', params: {} },
  { label: 'lora r8', id: 'lora', params: { rank: 8 } },
  { label: 'ptuning-v2 p16', id: 'ptuning-v2', params: { prefixLength: 16 } },
  { label: 'freeze last', id: 'freeze', params: { trainableLayers: 1 } },
];

export const PERF_BATCH = 32;
const VOCAB = 4096; // the zoo tokenizer's size: the embedding gradient and its Adam update are real work
const LABELS = 8;

function encoderConfig(m: PerfModel): EncoderConfig {
  return {
    vocabSize: VOCAB,
    maxPositions: Math.max(64, m.seq),
    layers: m.layers,
    hidden: m.hidden,
    heads: m.heads,
    ffnMultiplier: 4,
    dropout: 0.1,
    layerNormEps: 1e-5,
  };
}

/** Random full-length rows (every position is a real token, so tokens/step = batch x seq). */
function randomSplit(m: PerfModel, n: number, seed: number): EncodedSplit {
  const rng = createRng(`perf:${seed}`);
  const ids = new Int32Array(n * m.seq);
  for (let i = 0; i < ids.length; i++) ids[i] = 5 + rng.int(vocabOf(m) - 5);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(LABELS);
  return { kind: 'classification', n, seqLen: m.seq, ids, lengths: new Int32Array(n).fill(m.seq), labels };
}

export interface StepTimes {
  /** wall time of every step, in order (step 1 first) */
  ms: number[];
  /** CPU time of this process during every step (user + system, all threads): robust when other
   * jobs share the cores, where wall time is not */
  cpuMs: number[];
  tokensPerStep: number;
  /** tf.profile peak of step 2: the most bytes live at once, weights and optimizer state included */
  peakBytes: number;
  finalLoss: number;
}

/**
 * Train `steps` steps of one method on one random model through core's `train` (the same loop a
 * trial runs: AdamW, clipping, dropout) and time each step from the loop's own step callback.
 */
export async function timeSteps(
  registry: MethodRegistry,
  model: PerfModel,
  method: PerfMethod,
  steps: number,
  afterStep?: () => void,
): Promise<StepTimes> {
  const streams = rngStreams(1);
  const plugin = registry.get(method.id);
  const encoder = backbone(model, streams.init);
  const head = headFor(encoder, 'classification', LABELS, streams.init);
  const adapter = applyMethod(plugin, {
    model: encoder,
    config: registry.parseParams(method.id, method.params),
    rng: streams.init,
    task: { kind: 'classification', numLabels: LABELS },
    sequenceLength: model.seq,
  });
  const config: ResolvedTraining = {
    steps,
    batchSize: batchOf(model),
    lr: plugin.meta.defaultLearningRate,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    clipNorm: 1,
    evalBatchSize: 128,
    maxLength: model.seq,
    evalLimit: 0,
  };
  const ms: number[] = [];
  const cpuMs: number[] = [];
  try {
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const r = await train({
      model: encoder,
      head,
      adapter,
      data: randomSplit(model, batchOf(model) * 8, 1),
      config,
      streams,
      onStep: () => {
        const now = performance.now();
        const cpu = process.cpuUsage(lastCpu);
        ms.push(now - last);
        cpuMs.push((cpu.user + cpu.system) / 1000);
        afterStep?.();
        last = performance.now();
        lastCpu = process.cpuUsage();
      },
    });
    return { ms, cpuMs, tokensPerStep: batchOf(model) * model.seq, peakBytes: r.memory.peakBytes, finalLoss: r.finalLoss };
  } finally {
    adapter.dispose();
    head.dispose();
    encoder.dispose();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
