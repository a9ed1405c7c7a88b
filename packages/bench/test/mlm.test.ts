import { Encoder, rngStreams, selectBackend } from '@tunelab/core/internal';
import { tinyTokenizer } from '@tunelab/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { logUnigram, pretrainMlm } from '@tunelab/core/internal';

describe('masked-LM pretraining', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('logUnigram is the add-one smoothed log frequency', () => {
    const prior = logUnigram([Int32Array.from([5, 5, 6]), Int32Array.from([5])], 8);
    // counts 1 each + [5]: 3, [6]: 1 -> total 8 + 4 = 12
    expect(prior[5]).toBeCloseTo(Math.log(4 / 12), 6);
    expect(prior[6]).toBeCloseTo(Math.log(2 / 12), 6);
    expect(prior[0]).toBeCloseTo(Math.log(1 / 12), 6);
  });

  it('starts at the unigram cross-entropy, not ln(vocab): the decoder bias holds the prior (regression)', async () => {
    const tok = tinyTokenizer(40);
    // a skewed corpus: token 5 ('w0') makes up most of the text
    const corpus = Array.from({ length: 64 }, (_, i) => Int32Array.from([5, 5, 5, 5, 5, 5, 6 + (i % 30), 5]));
    const encoder = { vocabSize: 40, maxPositions: 16, layers: 1, hidden: 8, heads: 2, ffnMultiplier: 4, dropout: 0, layerNormEps: 1e-5 };
    const model = Encoder.init(encoder, rngStreams(1).init);
    try {
      const { losses } = await pretrainMlm({
        model,
        tokenizer: tok,
        corpus,
        sequenceLength: 12,
        streams: rngStreams(1),
        settings: { steps: 1, batchSize: 16, lr: 1e-4, maskProb: 0.3, warmupRatio: 0 },
      });
      const prior = logUnigram(corpus, 40);
      const n = corpus.reduce((s, c) => s + c.length, 0);
      let crossEntropy = 0;
      for (const c of corpus) for (const id of c) crossEntropy -= prior[id]! / n;
      expect(losses[0]!).toBeLessThan(Math.log(40) - 1); // a zero bias would start near ln 40 = 3.69
      expect(Math.abs(losses[0]! - crossEntropy)).toBeLessThan(0.6);
    } finally {
      model.dispose();
    }
  });
});
