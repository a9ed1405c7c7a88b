import {
  loadTrainState,
  saveTrainState,
  selectBackend,
  type BackendInfo,
  type LoadedModel,
  type MethodRegistry,
  type TaskData,
  type TrainState,
} from '@tunelab/core/internal';
import { loadEnvironment, trialEnv } from '../environment.js';
import { modelKey, trialIdOf } from '../records/index.js';
import { checkpointDue, EXIT_INTERRUPTED, stateFile, trySaveState, usableState } from '../resume.js';
import { executeTrial, sourceContext, type TrialEnv } from '../trial/index.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerRun } from './protocol.js';
import { failedRecord } from '../records/index.js';

interface Ready {
  init: WorkerInit;
  env: TrialEnv;
  backend: BackendInfo;
  registry: MethodRegistry;
  /** read once per worker: every trial of a model starts from the same weights */
  checkpoints: Map<string, LoadedModel>;
  tasks: Map<string, TaskData>;
}

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

async function setUp(init: WorkerInit): Promise<Ready> {
  const backend = await selectBackend(init.backend, { threads: init.threads });
  if (backend.name !== init.expect.name || backend.threads !== init.expect.threads) {
    throw new Error(
      `worker got backend ${backend.name} with ${backend.threads} thread(s), the sweep planned ${init.expect.name} with ${init.expect.threads}`,
    );
  }
  // the parent resolved them: absolute module files
  const loaded = await loadEnvironment(
    init.zoo,
    init.plugins.map((spec) => ({ spec, base: '/', where: 'sweep worker plugin' })),
  );
  // the parent reports progress; a worker's per-trial log lines would only interleave with it
  const env: TrialEnv = trialEnv(loaded, { zoo: init.zoo, cache: init.cache, backend, log: () => {} });
  return { init, env, backend, registry: env.registry, checkpoints: new Map(), tasks: new Map() };
}

async function checkpoint(w: Ready, name: string): Promise<LoadedModel> {
  let p = w.checkpoints.get(name);
  if (!p) {
    // the parent pretrained every zoo model before starting workers: never build here
    p = await w.env.models.source(name).load(name, sourceContext(w.env, false));
    w.checkpoints.set(name, p);
  }
  return p;
}

async function task(w: Ready, name: string): Promise<TaskData> {
  let t = w.tasks.get(name);
  if (!t) w.tasks.set(name, (t = await w.env.tasks.load(name, w.init.cache)));
  return t;
}

/** SIGTERM, SIGINT or the parent's `stop`: finish the current step, save its state, exit */
const stop = { requested: false, running: false };

const log = (line: string) => void send({ type: 'log', line });

/** Where a trial starts: its saved state if that is usable and newer than the segment's rung checkpoint. */
async function startingPoint(w: Ready, id: string, segment: WorkerRun['segment']): Promise<{ resume?: TrainState; fromState: boolean }> {
  const rung = segment?.resumeFile ? await loadTrainState(segment.resumeFile, id) : undefined;
  const state = await usableState(stateFile(w.init.out, id), id, {
    after: rung?.step ?? 0,
    ...(segment?.stopAt !== undefined ? { before: segment.stopAt } : {}),
    warn: log,
  });
  if (state) return { resume: state, fromState: true };
  return { ...(rung ? { resume: rung } : {}), fromState: false };
}

async function run(w: Ready, { cell, segment }: WorkerRun): Promise<void> {
  const t0 = performance.now();
  if (stop.requested) return void (await send({ type: 'interrupted', index: cell.index }));
  try {
    stop.running = true;
    const pretrained = await checkpoint(w, cell.spec.model);
    const data = await task(w, cell.spec.task);
    const method = w.registry.get(cell.spec.method);
    const id = trialIdOf(cell.spec, { method, model: modelKey(pretrained), dataHash: data.hash, backend: w.backend });
    if (id !== cell.id)
      throw new Error(`trial id ${id} differs from the planned ${cell.id}: a checkpoint, task or method changed while the sweep ran`);
    const { resume, fromState } = await startingPoint(w, id, segment);
    if (stop.requested) return void (await send({ type: 'interrupted', index: cell.index }));
    const resumedAt = fromState ? [...(resume!.resumedAt ?? []), resume!.step] : resume?.resumedAt;
    if (fromState)
      log(
        `resumed trial ${id} (${cell.spec.method} ${cell.spec.model} ${cell.spec.task} seed ${cell.spec.seed}) from its state at step ${resume!.step}`,
      );
    const file = stateFile(w.init.out, id);
    const withProvenance = (s: TrainState): TrainState => (resumedAt ? { ...s, resumedAt } : s);
    let interruptedAt: number | undefined;
    let savedStep = fromState ? resume!.step : undefined;
    const record = await executeTrial({ spec: cell.spec, method, model: pretrained, task: data, id }, w.env, {
      sweep: w.init.sweep,
      ...(resume ? { resume } : {}),
      ...(segment?.stopAt !== undefined ? { stopAt: segment.stopAt } : {}),
      checkpoint: {
        due: checkpointDue(w.init.checkpoint),
        save: async (s) => void ((await trySaveState(file, withProvenance(s), id, log)) && (savedStep = s.step)),
      },
      shouldStop: () => stop.requested,
      onPause: async (state) => {
        if (segment?.stopAt !== undefined && segment.saveFile && state.step === segment.stopAt) {
          await saveTrainState(segment.saveFile, withProvenance(state), id); // a rung: the scheduler decides what comes next
        } else {
          interruptedAt = state.step;
          if (await trySaveState(file, withProvenance(state), id, log)) savedStep = state.step;
        }
      },
    });
    if (interruptedAt !== undefined)
      return void (await send({
        type: 'interrupted',
        index: cell.index,
        step: interruptedAt,
        ...(savedStep !== undefined ? { savedStep } : {}),
      }));
    await send({ type: 'result', index: cell.index, record: resumedAt ? { ...record, resumedAt } : record });
  } catch (e) {
    const record = failedRecord(cell, { sweep: w.init.sweep, backend: w.backend, wallMs: performance.now() - t0 }, e);
    await send({ type: 'result', index: cell.index, record });
  } finally {
    stop.running = false;
  }
}

function requestStop(): void {
  stop.requested = true;
  // idle (between trials, or not set up): nothing to save
  if (!stop.running) process.exit(EXIT_INTERRUPTED);
}

/**
 * A sweep worker: sets up its backend (one thread by default, so N workers use N cores) and
 * methods once, then runs the trials the parent sends, one at a time, replying with each record.
 */
function main(): void {
  // the parent is gone (finished, or killed with -9): stop rather than train for nobody
  process.on('disconnect', () => process.exit(0));
  // Slurm signals every process of the job, a terminal's Ctrl-C the whole group, and the parent
  // sends `stop`: the first of them saves the running trial's state. SIGTERM may come twice (from
  // Slurm and from the job script that forwards it) and is never escalated; a second Ctrl-C is.
  process.on('SIGTERM', () => void (stop.requested || requestStop()));
  process.on('SIGINT', () => (stop.requested ? process.exit(EXIT_INTERRUPTED) : requestStop()));
  let ready: Promise<Ready> | undefined;
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    if (m.type === 'init') {
      ready = setUp(m);
      ready.then(
        (w) => send({ type: 'ready', backend: w.backend }),
        async (e) => {
          await send({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
          process.exit(1);
        },
      );
    } else if (m.type === 'run' && ready) {
      const w = ready;
      queue = queue
        .then(async () => run(await w, m))
        .then(() => {
          if (stop.requested) process.exit(EXIT_INTERRUPTED);
        });
    } else if (m.type === 'stop' && !stop.requested) {
      requestStop();
    }
  });
}

if (process.send) main();
