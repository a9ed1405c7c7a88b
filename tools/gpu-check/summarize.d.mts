// Types of summarize.mjs, for the tests (tools/gpu-check/test).
export const PARITY_REL: number;
export function verifyClose(a: number, b: number): boolean;
export function relDiff(a: number, b: number): number;

interface CurvePointLike {
  step: number;
  trainLoss: number;
  dev?: { accuracy?: number };
}
interface RecordLike {
  curve?: CurvePointLike[];
  finalTrainLoss: number;
  steps?: number;
  metrics?: { accuracy?: number };
}
export type TrialComparison =
  | { compared: false; reason: string }
  | {
      compared: true;
      steps?: number;
      points: { step: number; native: number; webgpu: number; rel: number }[];
      finalTrainLoss: { native: number; webgpu: number; rel: number };
      testAccuracy: { native?: number; webgpu?: number };
      maxRelDiff: number;
      parityTolerance: number;
      withinParity: boolean;
      verifyTolerance: string;
      withinVerify: boolean;
      learnt: boolean;
    };
export function compareTrials(native: RecordLike | undefined, webgpu: RecordLike | undefined): TrialComparison;
export function summarize(o: { logs: string; work: string }): Record<string, unknown>;
export function markdown(s: Record<string, unknown>): string;
