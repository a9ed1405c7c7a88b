import { selectBackend } from '@tunelab/core';
import { loadMethods } from '/work/wt-avx512/packages/bench/dist/methods.js';
import { profileSteps, formatProfile } from '/work/wt-avx512/packages/bench/dist/perf/profile.js';
import { PERF_MODELS, PERF_METHODS } from '/work/wt-avx512/packages/bench/dist/perf/setup.js';
await selectBackend('native', { threads: 1 });
const { registry } = await loadMethods();
const model = PERF_MODELS[3];
for (const m of [PERF_METHODS[0], PERF_METHODS[1]]) console.log(formatProfile(await profileSteps(registry, model, m, 1, 2), 14));
