import { z } from 'zod';
import type { Adapter } from '../contracts/adapter.js';
import type { ExpectedParams, MethodContext, MethodMeta, MethodPlugin } from '../contracts/method.js';
import { isUserError, UserError } from '../util/errors.js';
import { applyMethod } from './apply.js';
import { stackAdapters, stackProblem, type StackedAdapter, type StackPart } from './stack-adapter.js';

/** `lora+ptuning-v2`: method ids never contain it, so a stack's id names its parts in order. */
export const STACK_SEPARATOR = '+';

/** A stack's config: each part's parsed config under its method id. */
export type StackConfig = Record<string, Record<string, unknown>>;

/** Several methods applied to one backbone as one method (see `stackAdapters` for the rules). */
export interface StackedMethod extends MethodPlugin<StackConfig> {
  readonly parts: readonly MethodPlugin[];
  apply(ctx: MethodContext<StackConfig>): StackedAdapter;
}

export function isStackId(id: string): boolean {
  return id.includes(STACK_SEPARATOR);
}

/** The method ids of a stack's id, in order (one id for a plain method). */
export function stackIds(id: string): string[] {
  return id.split(STACK_SEPARATOR);
}

export function isStackedMethod(m: MethodPlugin<any>): m is StackedMethod {
  return Array.isArray((m as Partial<StackedMethod>).parts);
}

/** A problem with one listed method of a stack, by its position (a sweep names `method[1]`). */
export interface StackListProblem {
  index: number;
  message: string;
}

/** What is wrong with a list of method ids to stack, before anything is applied: empty, unknown or repeated ids. */
export function stackListProblems(ids: readonly string[], installed: readonly string[]): StackListProblem[] {
  const problems: StackListProblem[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, index) => {
    if (id === '')
      problems.push({
        index,
        message: `empty method id; write ids joined by '${STACK_SEPARATOR}' (for example lora${STACK_SEPARATOR}ptuning-v2)`,
      });
    else if (isStackId(id)) problems.push({ index, message: `'${id}' is itself a stack; list each method once` });
    else if (!installed.includes(id))
      problems.push({ index, message: `unknown method '${id}'; installed: ${installed.join(', ') || '(none)'}` });
    else if (seen.has(id))
      problems.push({ index, message: `'${id}' is listed twice (positions ${seen.get(id)} and ${index}); a stack takes each method once` });
    seen.set(id, seen.get(id) ?? index);
  });
  if (ids.length === 1 && problems.length === 0) problems.push({ index: 0, message: 'a stack needs at least two methods' });
  return problems;
}

/** A part's misfit, told as the stack's: `method 'lora+ptuning-v2': params.lora.rank: ...`. */
function partError(stack: string, part: MethodPlugin, e: UserError): UserError {
  const own = `method '${part.meta.id}': `;
  const text = e.message.startsWith(own) ? e.message.slice(own.length) : e.message;
  const path = e.path?.startsWith('params') ? `params.${part.meta.id}${e.path.slice('params'.length)}` : undefined;
  const told = path !== undefined && text.startsWith(`${e.path}:`) ? `${path}${text.slice(e.path!.length)}` : `${part.meta.id}: ${text}`;
  return new UserError(`method '${stack}': ${told}`, { ...(e.code ? { code: e.code } : {}), ...(path ? { path } : {}) });
}

/** A part's closed form, summed: exact when the parts train disjoint backbone weights (the built-ins do). */
function sumExpected(parts: readonly MethodPlugin[]): MethodPlugin<StackConfig>['expectedParams'] {
  if (!parts.every((p) => typeof p.expectedParams === 'function')) return undefined;
  return (config, shape) =>
    parts.reduce<ExpectedParams>(
      (sum, p) => {
        const e = p.expectedParams!(config[p.meta.id] ?? (p.schema.parse({}) as Record<string, unknown>), shape);
        return { adapter: sum.adapter + e.adapter, trainableBackbone: sum.trainableBackbone + e.trainableBackbone };
      },
      { adapter: 0, trainableBackbone: 0 },
    );
}

/**
 * Several method plugins as one: its id, version and package name are the parts' joined by '+',
 * its config each part's under the part's id, its default learning rate the smallest of the parts'
 * (the most sensitive part sets the pace). `apply` applies the parts in the listed order, all from
 * the trial's init stream, checks the stacking rules and returns one adapter. Generic: core never
 * names a method.
 */
export function stackMethods(parts: readonly MethodPlugin[]): StackedMethod {
  const ids = parts.map((p) => p.meta.id);
  const problems = stackListProblems(ids, ids);
  if (problems.length) throw new UserError(`--method ${ids.join(STACK_SEPARATOR)}: ${problems[0]!.message}`, { code: 'E_STACK_CONFLICT' });
  const join = (f: (m: MethodMeta) => string) => parts.map((p) => f(p.meta)).join(STACK_SEPARATOR);
  const id = ids.join(STACK_SEPARATOR);
  const meta: MethodMeta = {
    id,
    version: join((m) => m.version),
    packageName: join((m) => m.packageName),
    coreApi: parts.map((p) => p.meta.coreApi).join(' '),
    paramPrefix: join((m) => m.paramPrefix),
    description: `stack: ${ids.join(', then ')} (linear hooks chain in this order)`,
    defaultLearningRate: Math.min(...parts.map((p) => p.meta.defaultLearningRate)),
  };
  const schema = z
    .object(Object.fromEntries(parts.map((p) => [p.meta.id, (p.schema as z.ZodType).prefault({}).describe(p.meta.description)])))
    .strict() as unknown as z.ZodType<StackConfig>;
  const expectedParams = sumExpected(parts);
  return {
    meta,
    parts,
    schema,
    ...(expectedParams ? { expectedParams } : {}),
    apply(ctx) {
      const built: StackPart[] = [];
      try {
        for (const p of parts) {
          const config = ctx.config[p.meta.id] ?? (p.schema.parse({}) as Record<string, unknown>);
          let adapter: Adapter;
          try {
            adapter = applyMethod(p, { ...ctx, config });
          } catch (e) {
            throw isUserError(e) ? partError(id, p, e) : e;
          }
          built.push({ id: p.meta.id, adapter });
        }
        const problem = stackProblem(id, built, ctx.model.params);
        if (problem) throw problem;
        return stackAdapters(built);
      } catch (e) {
        for (const b of built.reverse()) b.adapter.dispose();
        throw e;
      }
    },
  };
}
