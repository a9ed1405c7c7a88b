import {
  layoutParamCount,
  memoryBreakdown,
  namedShape,
  NAMED_SHAPES,
  probeMethod,
  UserError,
  type MemoryBreakdown,
  type MethodRegistry,
  type ModelShape,
  type Precision,
} from '@tunelab/core/internal';

/** A model as the memory estimate needs it: its shape and parameter count, no weights. */
export interface MemoryModel {
  name: string;
  shape: ModelShape;
  /** backbone parameters */
  params: number;
  /** default tokens per example */
  sequenceLength: number;
  description?: string;
}

/** The families of the named shapes (`llama:7b`): a spec `<family>:<size>` with one of them must name a known shape. */
const SHAPE_FAMILIES = new Set(NAMED_SHAPES.map((s) => s.name.split(':')[0]!));

/** `llama:7b` and the like, or undefined when `spec` is not shaped like one (a zoo name, `hf:...`). */
export function namedMemoryModel(spec: string): MemoryModel | undefined {
  const family = spec.split(':')[0]!;
  if (!spec.includes(':') || !SHAPE_FAMILIES.has(family)) return undefined;
  const s = namedShape(spec);
  if (!s)
    throw new UserError(
      `--model ${spec}: no such shape; allowed ${NAMED_SHAPES.map((n) => n.name).join(', ')}, a zoo name, or hf:<folder or hub id>`,
    );
  return {
    name: s.name,
    shape: s.shape,
    params: layoutParamCount(s.shape, s.layout),
    sequenceLength: s.sequenceLength,
    description: s.description,
  };
}

export interface MethodMemoryOptions {
  batch: number;
  seq: number;
  precision: Precision;
  /** the head: an LM head (generation, the default for causal models) or a small classifier with `labels` outputs */
  head?: 'lm' | 'classifier';
  labels?: number;
  /** the classifier's parameters when known (a family's own head); default (hidden + 1) x labels */
  headParams?: number;
}

export interface MethodMemory {
  method: string;
  params: Record<string, unknown>;
  trainable: number;
  total: number;
  breakdown: MemoryBreakdown;
}

/**
 * The analytic memory of one method on one model: trainable counts from the method's closed form
 * (`expectedParams`, with the shape's full parameter count for methods that train everything), what
 * it adds to the forward pass from a dry apply on a toy backbone of the same family and depth.
 */
export function methodMemory(
  methods: MethodRegistry,
  id: string,
  raw: Record<string, unknown>,
  model: MemoryModel,
  o: MethodMemoryOptions,
): MethodMemory {
  const method = methods.get(id);
  const config = methods.parseParams(id, raw);
  const shape = { ...model.shape, backboneParams: model.params };
  const e = method.expectedParams?.(config, shape);
  if (!e) throw new UserError(`--method ${id}: states no closed-form parameter count (expectedParams), so its memory cannot be estimated`);
  const head = o.head ?? (model.shape.causal ? 'lm' : 'classifier');
  const labels = o.labels ?? 2;
  const headParams = head === 'lm' ? 0 : (o.headParams ?? (model.shape.hidden + 1) * labels);
  const trainable = e.adapter + e.trainableBackbone + headParams;
  const breakdown = memoryBreakdown({
    shape: model.shape,
    params: model.params + e.adapter + headParams,
    trainable,
    batch: o.batch,
    seq: o.seq,
    precision: o.precision,
    head,
    method: probeMethod(method, config, model.shape, o.seq),
  });
  return { method: id, params: config, trainable, total: breakdown.total, breakdown };
}
