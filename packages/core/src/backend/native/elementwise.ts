import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { f32, output, sizeOf, type NativeDeps } from './deps.js';

function padTo(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

const BINARY: [string, string][] = [
  ['Add', 'add'],
  ['Sub', 'sub'],
  ['Multiply', 'mul'],
  ['RealDiv', 'div'],
  ['Maximum', 'max'],
  ['Minimum', 'min'],
  ['SquaredDifference', 'squaredDifference'],
  ['Pow', 'pow'],
];

function binaryKernel(d: NativeDeps, kernelName: string, op: number): tf.KernelConfig {
  const fallback = d.cpu(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const va = f32(backend, a);
      const vb = f32(backend, b);
      if (va === null || vb === null) return fallback(args);
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const values = backend.alloc(sizeOf(shape));
      d.k.binary(op, va, padTo(a.shape, shape.length), vb, padTo(b.shape, shape.length), values, shape);
      return output(backend, shape, values);
    },
  };
}

const UNARY: [string, string][] = [
  ['Exp', 'exp'],
  ['Sigmoid', 'sigmoid'],
  ['Sqrt', 'sqrt'],
  ['Rsqrt', 'rsqrt'],
  ['Square', 'square'],
  ['Neg', 'neg'],
  ['Log', 'log'],
  ['Tanh', 'tanh'],
  ['Abs', 'abs'],
  ['Relu', 'relu'],
  ['Floor', 'floor'],
  ['Reciprocal', 'reciprocal'],
];

function unaryKernel(d: NativeDeps, kernelName: string, op: number): tf.KernelConfig {
  const fallback = d.cpu(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const vx = f32(backend, x);
      if (vx === null) return fallback(args);
      const values = backend.alloc(vx.length);
      d.k.unary(op, vx, values);
      return output(backend, [...x.shape], values);
    },
  };
}

/** The element-wise kernels (elementwise.cc): binary ops with broadcasting, unary ops. */
export function elementwiseKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    ...BINARY.map(([name, op]) => binaryKernel(d, name, d.codes.binary[op]!)),
    ...UNARY.map(([name, op]) => unaryKernel(d, name, d.codes.unary[op]!)),
  ];
}
