import {
  isStackedMethod,
  runTrial,
  saveAdapter,
  pickTrainer,
  rngStreams,
  exactMatch,
  type GenerationExample,
  type TaggedExample,
  type TaskData,
  type TextExample,
  type TrainState,
} from '@tunelab/core/internal';
import { startGpuRecording } from '../gpu-record.js';
import { okRecord, peftLine, type TrialRecord } from '../records/index.js';
import type { PreparedTrial, TrialEnv } from './prepare.js';

/**
 * Majority class of train scored on test; for tagging, every word tagged with the outside label;
 * for generation, the most frequent train answer given to every test prompt (exact match).
 */
export function majorityBaseline(task: TaskData): number {
  if (task.kind === 'generation') return commonestAnswerBaseline(task.train as GenerationExample[], task.test as GenerationExample[]);
  if (task.kind === 'tagging') {
    const outside = Math.max(0, task.labels.indexOf(task.outsideLabel ?? task.labels[0]!));
    let n = 0;
    let hit = 0;
    for (const ex of task.test as TaggedExample[]) {
      n += ex.tags.length;
      hit += ex.tags.filter((t) => t === outside).length;
    }
    return n ? hit / n : 0;
  }
  const counts = new Map<number, number>();
  for (const ex of task.train as TextExample[]) counts.set(ex.label, (counts.get(ex.label) ?? 0) + 1);
  const major = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const test = task.test as TextExample[];
  return test.length ? test.filter((e) => e.label === major).length / test.length : 0;
}

function commonestAnswerBaseline(train: readonly GenerationExample[], test: readonly GenerationExample[]): number {
  const counts = new Map<string, number>();
  for (const ex of train) counts.set(ex.response, (counts.get(ex.response) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  if (top === undefined || test.length === 0) return 0;
  let hit = 0;
  for (const ex of test) hit += Math.max(...[ex.response, ...(ex.alternatives ?? [])].map((r) => exactMatch(top, r)));
  return hit / test.length;
}

/** Train and evaluate one prepared trial; the record says `ok` or `diverged` (errors propagate). */
export interface ExecuteOptions {
  onStep?: (step: number, loss: number) => void;
  sweep?: string;
  /** save what the trial trained (adapter + head) into this folder */
  saveDir?: string;
  /** pause after this step (a successive-halving rung): the record says `paused`, `onPause` gets the state */
  stopAt?: number;
  /** continue from a paused state */
  resume?: TrainState;
  /** called with a paused trial's state before its record is returned (the sweep writes it to disk) */
  onPause?: (state: TrainState) => Promise<void>;
  /** mid-trial checkpoints: `save` gets the state after every step where `due` holds */
  checkpoint?: { due: (step: number, atDevPoint: boolean) => boolean; save: (state: TrainState) => Promise<void> };
  /** true pauses the trial after the current step (SIGTERM); the record says `paused` and `onPause` gets the state */
  shouldStop?: () => boolean;
}

export async function executeTrial(p: PreparedTrial, env: TrialEnv, hooks: ExecuteOptions = {}): Promise<TrialRecord> {
  const model = p.spec.fromScratch ? p.model.random(rngStreams(p.spec.seed).init) : p.model.instantiate();
  let saved: TrialRecord['saved'];
  try {
    const gpu = await startGpuRecording(env.backend);
    const out = await runTrial({
      method: p.method,
      params: p.spec.params,
      model,
      tokenizer: p.model.tokenizer,
      task: p.task,
      seed: p.spec.seed,
      training: p.spec.training,
      trainer: pickTrainer(env.trainers, p.spec.training.trainer ?? 'adamw'),
      ...(hooks.stopAt !== undefined ? { stopAt: hooks.stopAt } : {}),
      ...(hooks.resume ? { resume: hooks.resume } : {}),
      ...(hooks.checkpoint ? { checkpoint: hooks.checkpoint } : {}),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
      onStep: (step, loss) => {
        gpu.sample();
        hooks.onStep?.(step, loss);
      },
      onReady: (c) => env.log(peftLine(c.trainableParams, c.totalParams)),
      ...(hooks.saveDir
        ? {
            afterTrain: async (adapter, head) => {
              const parts = isStackedMethod(p.method) ? { parts: p.method.parts.map((m) => m.meta) } : {};
              const { bytes } = await saveAdapter(hooks.saveDir!, {
                meta: p.method.meta,
                params: p.spec.params,
                adapter,
                head,
                baseModelSha256: p.model.identity.sha256,
                ...parts,
              });
              saved = { dir: hooks.saveDir!, adapterBytes: bytes, baseCheckpointBytes: p.model.checkpointBytes };
              env.log(
                `saved adapter to ${hooks.saveDir}: ${bytes.toLocaleString('en-US')} bytes (base checkpoint ${saved.baseCheckpointBytes.toLocaleString('en-US')} bytes)`,
              );
            },
          }
        : {}),
    });
    const { deviceMemory, tfMemory } = gpu.finish();
    if (out.train.state) await hooks.onPause?.(out.train.state);
    return okRecord({
      id: p.id,
      spec: p.spec,
      method: p.method,
      model: p.model,
      task: p.task,
      outcome: out,
      backend: env.backend,
      deviceMemory,
      tfMemory,
      majority: majorityBaseline(p.task),
      ...(hooks.sweep ? { sweep: hooks.sweep } : {}),
      ...(saved ? { saved } : {}),
    });
  } finally {
    model.dispose();
  }
}
