import { selectBackend } from '@tunelab/core';
import { loadMethods } from '@tunelab/bench';
import { profileSteps, formatProfile } from '/work/main/packages/bench/dist/perf/profile.js';
import { PERF_MODELS, PERF_METHODS } from '/work/main/packages/bench/dist/perf/setup.js';
await selectBackend('native');
const { registry } = await loadMethods();
const t0 = Date.now(); const c0 = process.cpuUsage();
console.log(formatProfile(await profileSteps(registry, PERF_MODELS[3], PERF_METHODS[0], 1, 1)));
const c = process.cpuUsage(c0); console.log('wall', Date.now()-t0, 'cpu', (c.user+c.system)/1000);
