import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { f32, i32, output, sizeOf, type NativeDeps } from './deps.js';

function transposeKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Transpose');
  return {
    kernelName: 'Transpose',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { perm } = args.attrs as { perm: number[] };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 8) return fallback(args);
      const values = backend.alloc(v.length);
      d.k.transpose(v, [...x.shape], [...perm], values);
      return output(
        backend,
        perm.map((p) => x.shape[p]!),
        values,
      );
    },
  };
}

function checkIndices(idx: Int32Array, rows: number, what: (i: number) => string): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= rows) throw new Error(what(k));
  }
}

/** GatherV2 on axis 0 (the embedding lookup): whole rows copied. */
function gatherKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('GatherV2');
  return {
    kernelName: 'GatherV2',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
      const vx = f32(backend, x);
      const vi = i32(backend, indices);
      if (vx === null || vi === null || x.shape.length === 0 || (batchDims ?? 0) !== 0) return fallback(args);
      if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0) return fallback(args);
      const rows = x.shape[0]!;
      checkIndices(vi, rows, (k) => `GatherV2: the index value ${k} is not in [0, ${rows - 1}]`); // the cpu kernel's message
      const width = sizeOf(x.shape.slice(1));
      const values = backend.alloc(vi.length * width);
      d.k.gatherRows(vx, rows, width, vi, values);
      return output(backend, [...indices.shape, ...x.shape.slice(1)], values);
    },
  };
}

/** ScatterNd with one index per row (the embedding gradient): duplicate rows summed in order. */
function scatterKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('ScatterNd');
  return {
    kernelName: 'ScatterNd',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { indices, updates } = args.inputs as { indices: tf.TensorInfo; updates: tf.TensorInfo };
      const { shape } = args.attrs as { shape: number[] };
      const vi = i32(backend, indices);
      const vu = f32(backend, updates);
      if (vi === null || vu === null || shape.length === 0 || indices.shape[indices.shape.length - 1] !== 1) return fallback(args);
      const rows = shape[0]!;
      const width = sizeOf(shape.slice(1));
      if (vu.length !== vi.length * width) return fallback(args);
      checkIndices(vi, rows, (k) => `Invalid indices: ${k} does not index into ${shape}`);
      const values = backend.alloc(rows * width).fill(0); // scatter-add needs zeros
      d.k.scatterAddRows(vu, width, vi, values, rows);
      return output(backend, [...shape], values);
    },
  };
}

/**
 * Data movement as strided box copies: Slice (the non-contiguous case), SplitV (the gradient of
 * concat), Concat, Tile and PadV2. The cpu versions walk index arrays per element; P-tuning's
 * prefix concat made its gradient's SplitV ~85% of a step.
 */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function sliceTo(d: NativeDeps, backend: NativeBackend, x: Float32Array, shape: number[], begin: number[], size: number[]): tf.TensorInfo {
  const st = stridesOf(shape);
  const values = backend.alloc(sizeOf(size));
  d.k.copy(x, dot(begin, st), st, values, 0, stridesOf(size), size);
  return output(backend, size, values);
}

function sliceKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Slice');
  return {
    kernelName: 'Slice',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 16) return fallback(args);
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
      tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
      // contiguous: the cpu kernel returns a view of x's array, which costs nothing
      if (tf.slice_util.isSliceContinous(x.shape, b, s)) return fallback(args);
      return sliceTo(d, backend, v, [...x.shape], b, s);
    },
  };
}

function splitKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('SplitV');
  return {
    kernelName: 'SplitV',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 16) return fallback(args);
      const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((n) => {
        const size = [...x.shape];
        size[ax] = n;
        const part = sliceTo(d, backend, v, [...x.shape], [...begin], size);
        begin[ax]! += n;
        return part;
      });
    },
  };
}

function concatKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Concat');
  return {
    kernelName: 'Concat',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const inputs = Object.values(args.inputs) as tf.TensorInfo[];
      const { axis } = args.attrs as { axis: number };
      const vals = inputs.map((t) => f32(backend, t));
      if (inputs.length < 2 || vals.some((v) => v === null) || inputs[0]!.shape.length > 16) return fallback(args);
      const ax = tf.util.parseAxisParam(axis, inputs[0]!.shape)[0]!;
      tf.backend_util.assertParamsConsistent(
        inputs.map((t) => t.shape),
        ax,
      );
      const shape = tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        ax,
      );
      const st = stridesOf(shape);
      const values = backend.alloc(sizeOf(shape));
      let at = 0;
      inputs.forEach((t, i) => {
        if (sizeOf(t.shape) > 0) d.k.copy(vals[i]!, 0, stridesOf(t.shape), values, at * st[ax]!, st, [...t.shape]);
        at += t.shape[ax]!;
      });
      return output(backend, shape, values);
    },
  };
}

function tileKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Tile');
  return {
    kernelName: 'Tile',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { reps } = args.attrs as { reps: number[] };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 8 || reps.length !== x.shape.length) return fallback(args);
      // out index along dim i is rep·x_i + j: a copy over [rep_0, x_0, rep_1, x_1, ...] whose
      // rep dims read with stride 0
      const xs = stridesOf(x.shape);
      const box = x.shape.flatMap((n, i) => [reps[i]!, n]);
      const src = xs.flatMap((s) => [0, s]);
      const shape = x.shape.map((n, i) => n * reps[i]!);
      const values = backend.alloc(sizeOf(shape));
      d.k.copy(v, 0, src, values, 0, stridesOf(box), box);
      return output(backend, shape, values);
    },
  };
}

function padKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('PadV2');
  return {
    kernelName: 'PadV2',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 16) return fallback(args);
      const shape = paddings.map((p, i) => p[0] + x.shape[i]! + p[1]);
      const st = stridesOf(shape);
      const values = backend.alloc(sizeOf(shape)).fill(constantValue);
      d.k.copy(
        v,
        0,
        stridesOf(x.shape),
        values,
        dot(
          paddings.map((p) => p[0]),
          st,
        ),
        st,
        [...x.shape],
      );
      return output(backend, shape, values);
    },
  };
}

/** Data movement (layout.cc): transpose, row gather and scatter-add, and strided box copies. */
export function layoutKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    transposeKernel(d),
    gatherKernel(d),
    scatterKernel(d),
    sliceKernel(d),
    splitKernel(d),
    concatKernel(d),
    tileKernel(d),
    padKernel(d),
  ];
}
