import {
  RESULTS_VERSION,
  canonicalJson,
  isStackedMethod,
  sha256,
  type BackendInfo,
  type GpuAdapterInfo,
  type LoadedModel,
  type MethodPlugin,
} from '@tunelab/core/internal';
import type { TrialSpec } from './schema.js';

// The one place a trial's identity is computed: every caller (train, sweep plan, sweep worker,
// verify) goes through `trialIdOf`.

/** Everything that changes a trial's numbers, hashed: same spec + same code + same data = same id. */
export function trialId(
  spec: TrialSpec,
  ctx: {
    methodVersion: string;
    methods?: readonly MethodVersion[];
    modelSha256: string;
    tokenizerSha256?: string;
    dataHash: string;
    backend: Pick<BackendInfo, 'name' | 'threads' | 'adapter'>;
  },
): string {
  const identity = {
    spec: { ...spec, fromScratch: spec.fromScratch ?? false },
    methodVersion: ctx.methodVersion,
    // a stack's parts by id, version and package; absent for one method, so its ids are unchanged
    ...(ctx.methods ? { methods: ctx.methods } : {}),
    coreVersion: RESULTS_VERSION,
    modelSha256: ctx.modelSha256,
    // absent for the zoo (its tokenizer is part of the checkpoint's recipe), so zoo ids are unchanged
    tokenizerSha256: ctx.tokenizerSha256,
    dataHash: ctx.dataHash,
    backend: {
      name: ctx.backend.name,
      threads: ctx.backend.threads,
      ...(ctx.backend.adapter ? { adapter: adapterIdentity(ctx.backend.adapter) } : {}),
    },
  };
  return sha256(canonicalJson(identity)).slice(0, 20);
}

export interface MethodVersion {
  id: string;
  version: string;
  package: string;
}

/** What of a method goes into trial ids: its version, and for a stack every part's id, version and package. */
export function methodIdentity(m: MethodPlugin): { methodVersion: string; methods?: MethodVersion[] } {
  if (!isStackedMethod(m)) return { methodVersion: m.meta.version };
  return {
    methodVersion: m.meta.version,
    methods: m.parts.map((p) => ({ id: p.meta.id, version: p.meta.version, package: p.meta.packageName })),
  };
}

/** What of an adapter changes a trial's numbers: which device, which driver, through which Dawn backend. */
export function adapterIdentity(a: GpuAdapterInfo): Record<string, string> {
  return { vendor: a.vendor, architecture: a.architecture, device: a.device, driver: a.driver, dawnBackend: a.dawnBackend };
}

/** What of a model goes into trial ids: its weights' hash, and its tokenizer's where that is separate. */
export function modelKey(m: Pick<LoadedModel, 'identity'>): ModelKey {
  return { modelSha256: m.identity.sha256, ...(m.identity.tokenizerSha256 ? { tokenizerSha256: m.identity.tokenizerSha256 } : {}) };
}

export interface ModelKey {
  modelSha256: string;
  tokenizerSha256?: string;
}

/** A trial's id from its spec and what it runs with: the method (a stack: every part), the model's hashes, the data's hash and the backend. */
export function trialIdOf(
  spec: TrialSpec,
  k: { method: MethodPlugin; model: ModelKey; dataHash: string; backend: Pick<BackendInfo, 'name' | 'threads' | 'adapter'> },
): string {
  return trialId(spec, { ...methodIdentity(k.method), ...k.model, dataHash: k.dataHash, backend: k.backend });
}
