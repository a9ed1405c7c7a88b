import * as tf from '@tensorflow/tfjs-core';
import type { MethodRegistry } from '@tunelab/core/internal';
import { instrumentKernels, type KernelTime } from './kernel-timer.js';
import { decoderName, timeDecoderSteps, type DecoderShape } from './decoder-setup.js';
import { median, timeSteps, type PerfMethod, type PerfModel } from './setup.js';

export interface StepProfile {
  backend: string;
  model: string;
  method: string;
  /** median ms per step with the timers on */
  msPerStep: number;
  /** per kernel, ms per step (summed over the timed steps and divided by their count) */
  kernels: KernelTime[];
  /** step time not spent inside kernels: tape, gradient bookkeeping, allocation, JS glue */
  outsideMs: number;
}

/**
 * Time one training configuration kernel by kernel on the active backend: `warmup` untimed steps,
 * then `steps` timed ones. The timers cost a few microseconds per kernel call.
 */
export async function profileSteps(
  registry: MethodRegistry,
  model: PerfModel,
  method: PerfMethod,
  warmup: number,
  steps: number,
): Promise<StepProfile> {
  return profileWith(model.name, method, warmup, steps, (after) => timeSteps(registry, model, method, warmup + steps, after));
}

/** The same for the decoder rows' SmolLM-shaped decoder. */
export async function profileDecoderSteps(
  registry: MethodRegistry,
  shape: DecoderShape,
  method: PerfMethod,
  warmup: number,
  steps: number,
): Promise<StepProfile> {
  return profileWith(decoderName(shape), method, warmup, steps, (after) =>
    timeDecoderSteps(registry, shape, method, warmup + steps, after),
  );
}

async function profileWith(
  model: string,
  method: PerfMethod,
  warmup: number,
  steps: number,
  run: (afterStep: () => void) => Promise<{ ms: number[] }>,
): Promise<StepProfile> {
  const backend = tf.getBackend();
  const timer = instrumentKernels(backend);
  try {
    let seen = 0;
    const t = await run(() => {
      seen += 1;
      if (seen === warmup) timer.reset(); // count the timed steps only
    });
    const timed = t.ms.slice(warmup);
    const kernels = timer.times().map((k) => ({ kernel: k.kernel, calls: k.calls / steps, ms: k.ms / steps, flops: k.flops / steps }));
    const inKernels = kernels.reduce((s, k) => s + k.ms, 0);
    const mean = timed.reduce((s, x) => s + x, 0) / timed.length;
    return { backend, model, method: method.label, msPerStep: median(timed), kernels, outsideMs: mean - inKernels };
  } finally {
    timer.restore();
  }
}

export function formatProfile(p: StepProfile, top = 25): string {
  const total = p.kernels.reduce((s, k) => s + k.ms, 0) + p.outsideMs;
  const lines = [`${p.model} ${p.method} on ${p.backend}: ${p.msPerStep.toFixed(1)} ms/step (median, timers on)`];
  lines.push('| kernel | calls/step | ms/step | share | GFLOP/s |', '| --- | ---: | ---: | ---: | ---: |');
  const rate = (flops: number, ms: number) => (flops > 0 && ms > 0 ? (flops / ms / 1e6).toFixed(1) : '');
  for (const k of p.kernels.slice(0, top)) {
    lines.push(
      `| ${k.kernel} | ${k.calls.toFixed(0)} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / total).toFixed(1)}% | ${rate(k.flops, k.ms)} |`,
    );
  }
  const rest = p.kernels.slice(top).reduce((s, k) => s + k.ms, 0);
  if (rest > 0)
    lines.push(`| (${p.kernels.length - top} other kernels) | | ${rest.toFixed(2)} | ${((100 * rest) / total).toFixed(1)}% | |`);
  lines.push(`| outside kernels (tape, glue) | | ${p.outsideMs.toFixed(2)} | ${((100 * p.outsideMs) / total).toFixed(1)}% | |`);
  const mm = p.kernels.filter((k) => k.flops > 0);
  const mmMs = mm.reduce((s, k) => s + k.ms, 0);
  const mmFlops = mm.reduce((s, k) => s + k.flops, 0);
  if (mmMs > 0) {
    lines.push(
      '',
      `Matrix products: ${(mmFlops / 1e9).toFixed(2)} GFLOP/step in ${mmMs.toFixed(1)} ms = ${rate(mmFlops, mmMs)} GFLOP/s (${((100 * mmMs) / total).toFixed(0)}% of the step).`,
    );
  }
  return lines.join('\n');
}
