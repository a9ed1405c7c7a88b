// A/B of the fused decoder kernels: the decoder's training step with them registered and unregistered, interleaved.
// usage (after npx tsc -b): node packages/bench/scripts/ab-fused-decoder.mjs LAYERS BATCH SEQ STEPS ROUNDS [methods, default sft]
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tunelab/core/internal';
import { loadMethods } from '../dist/methods.js';
import { timeDecoderSteps } from '../dist/perf/decoder-setup.js';
import { PERF_METHODS, median } from '../dist/perf/setup.js';
const [layers, batch, seq, steps, rounds, methodIds] = process.argv.slice(2);
const shape = { layers: +layers, batch: +batch, seq: +seq };
const { registry } = await loadMethods();
await selectBackend('native', { threads: 1 });
const names = ['TunelabRmsNorm', 'TunelabRmsNormGrad', 'TunelabRope', 'TunelabSwiGlu', 'TunelabSwiGluGrad'];
const saved = names.map((n) => tf.getKernel(n, 'native'));
const set = (on) => {
  for (const [i, n] of names.entries()) {
    if (on) {
      if (!tf.getKernel(n, 'native')) tf.registerKernel(saved[i]);
    } else if (tf.getKernel(n, 'native')) tf.unregisterKernel(n, 'native');
  }
};
const methods = PERF_METHODS.filter((m) => (methodIds ?? 'sft').split(',').includes(m.id));
for (const m of methods) {
  const res = { fused: [], plain: [] };
  for (let r = 0; r < +rounds; r++) {
    for (const mode of ['fused', 'plain']) {
      set(mode === 'fused');
      const t = await timeDecoderSteps(registry, shape, m, 2 + +steps);
      res[mode].push(...t.cpuMs.slice(2).map((x, i) => ({ cpu: x, wall: t.ms[2 + i] })));
      console.error(
        `${m.label} ${mode} r${r}: wall ${t.ms
          .slice(2)
          .map((x) => x.toFixed(0))
          .join(',')} cpu ${t.cpuMs
          .slice(2)
          .map((x) => x.toFixed(0))
          .join(',')} load ${(await import('node:os')).loadavg()[0].toFixed(2)}`,
      );
    }
  }
  const s = (xs, k) => {
    const v = xs.map((x) => x[k]);
    return `min ${Math.min(...v).toFixed(0)} med ${median(v).toFixed(0)}`;
  };
  console.log(
    `${m.label} L${layers} b${batch}x${seq}: fused wall ${s(res.fused, 'wall')} cpu ${s(res.fused, 'cpu')} | plain wall ${s(res.plain, 'wall')} cpu ${s(res.plain, 'cpu')}`,
  );
}
