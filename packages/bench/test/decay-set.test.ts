import {
  Encoder,
  createHead,
  decayedNames,
  rngStreams,
  selectBackend,
  trainableParamMap,
  type ParamMap,
  type TaskKind,
} from '@tunelab/core/internal';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMethods } from '../src/methods.js';
import { mlmHead } from '@tunelab/core/internal';
import { loadZoo } from '@tunelab/core/internal';

const ZOO = new URL('../../../configs/zoo.json', import.meta.url).pathname;

/** The rule weight decay used before it went by rank: BERT's, by name. */
const byName = (named: ParamMap) => new Set([...named].filter(([k]) => !/\.(bias|gamma|beta)$/.test(k)).map(([, v]) => v.name));

/** Every built-in setting the sweep configs and method tests use, and the variants of each option. */
const CONFIGS: Record<string, Record<string, unknown>[]> = {
  sft: [{}],
  lora: [{}, { rank: 2 }, { rank: 8, targets: 'all-linear' }, { targets: ['key', 'up', 'down', 'output'], layers: [-1] }],
  'ptuning-v2': [
    {},
    { prefixLength: 16 },
    { mode: 'shallow', prefixLength: 16 },
    { prefixLength: 4, projection: true, projectionHidden: 32 },
  ],
  freeze: [{}, { trainableLayers: 2 }, { trainableLayers: -1, modules: 'attn' }, { trainableLayers: 2, modules: 'all' }],
};

beforeAll(async () => {
  await selectBackend('cpu');
});

// Decay went from "by name" to "by rank": on every built-in method the decayed set must be the
// same, or the recorded trials (reports/reference) would not reproduce bit for bit.
describe('weight decay by rank = the old by-name rule for every built-in method on the zoo encoders', async () => {
  const zoo = await loadZoo(ZOO);
  const { registry } = await loadMethods();

  it('covers every built-in method', () => {
    expect(registry.ids()).toEqual(Object.keys(CONFIGS).sort());
  });

  for (const [size, recipe] of Object.entries(zoo.models).flatMap(([n, r]) => ('encoder' in r ? [[n, r] as const] : []))) {
    it(`${size}: every setting of every built-in, every head, and masked-LM pretraining`, () => {
      const model = Encoder.init({ ...recipe.encoder, vocabSize: 64, layerNormEps: 1e-5 }, rngStreams(0).init);
      let compared = 0;
      try {
        for (const [id, configs] of Object.entries(CONFIGS)) {
          for (const raw of configs) {
            for (const kind of ['classification', 'tagging'] as TaskKind[]) {
              const streams = rngStreams(1);
              const head = createHead(kind, recipe.encoder.hidden, 5, streams.init);
              const config = registry.parseParams(id, raw);
              const adapter = registry
                .get(id)
                .apply({ model, config, rng: streams.init, task: { kind, numLabels: 5 }, sequenceLength: recipe.sequenceLength });
              try {
                const named = trainableParamMap(adapter, head);
                expect(decayedNames(named), `${id} ${JSON.stringify(raw)} on ${kind}`).toEqual(byName(named));
                compared += named.size;
              } finally {
                adapter.dispose();
                head.dispose();
              }
            }
          }
        }
        const mlm = mlmHead(recipe.encoder.hidden, 64, rngStreams(1).init, new Float32Array(64));
        const pretraining: ParamMap = new Map([...model.params, ...mlm]);
        expect(decayedNames(pretraining)).toEqual(byName(pretraining));
        for (const v of mlm.values()) v.dispose();
        expect(compared).toBeGreaterThan(100);
      } finally {
        model.dispose();
      }
    });
  }
});
