import type { Adapter } from '../contracts/adapter.js';
import type { ForwardHooks, ParamMap } from '../contracts/model.js';
import { UserError } from '../util/errors.js';

/** One method of a stack and the adapter it installed. */
export interface StackPart {
  id: string;
  adapter: Adapter;
}

/** A stack's adapter: the parts' adapters behind one `Adapter`, in the listed order. */
export interface StackedAdapter extends Adapter {
  readonly parts: readonly StackPart[];
}

export function isStackedAdapter(a: Adapter): a is StackedAdapter {
  return Array.isArray((a as Partial<StackedAdapter>).parts);
}

/** Hooks that return one tensor for the whole pass: at most one method of a stack may fill each. */
export const SINGLE_SOURCE_HOOKS = ['prefixKV', 'inputPrefix'] as const;

const HOOK_WORDS: Record<(typeof SINGLE_SOURCE_HOOKS)[number], string> = {
  prefixKV: 'prefix keys/values',
  inputPrefix: 'input prefix',
};

const conflict = (stack: string, what: string) => new UserError(`method '${stack}': ${what}`, { code: 'E_STACK_CONFLICT' });

/**
 * The stacking rules, checked on the parts' adapters (every one of them already applied): a
 * single-source hook filled by two methods, a method that trains every backbone weight next to
 * another, and a parameter name two methods both create are errors naming both methods.
 */
export function stackProblem(stack: string, parts: readonly StackPart[], backbone: ParamMap): UserError | null {
  for (const hook of SINGLE_SOURCE_HOOKS) {
    const fill = parts.filter((p) => typeof p.adapter.hooks[hook] === 'function');
    if (fill.length > 1) {
      return conflict(
        stack,
        `'${fill[0]!.id}' and '${fill[1]!.id}' both fill the ${HOOK_WORDS[hook]} (hook ${hook}); a stack takes each from one method only`,
      );
    }
  }
  for (const p of parts) {
    const trained = p.adapter.trainableBackbone();
    if (backbone.size > 0 && [...backbone.keys()].every((k) => trained.has(k))) {
      const others = parts
        .filter((o) => o !== p)
        .map((o) => `'${o.id}'`)
        .join(', ');
      return conflict(stack, `'${p.id}' trains every backbone weight, so nothing stays frozen for ${others}; run '${p.id}' on its own`);
    }
  }
  const owner = new Map<string, string>();
  for (const p of parts) {
    for (const name of p.adapter.params.keys()) {
      const other = owner.get(name);
      if (other !== undefined)
        return conflict(stack, `'${other}' and '${p.id}' both create parameter '${name}'; parameter prefixes must keep their names apart`);
      owner.set(name, p.id);
    }
  }
  return null;
}

/** Linear hooks chain in the listed order: the first wraps the backbone's `base`, each next one wraps the previous. */
function stackHooks(parts: readonly StackPart[]): ForwardHooks {
  const hooks: ForwardHooks = {};
  const linears = parts.map((p) => p.adapter.hooks).filter((h) => typeof h.linear === 'function');
  if (linears.length > 0) {
    hooks.linear = (name, x, base, ctx) => {
      let f = base;
      for (const h of linears) {
        const inner = f;
        f = (y) => h.linear!(name, y, inner, ctx);
      }
      return f(x);
    };
  }
  const prefix = parts.find((p) => p.adapter.hooks.prefixKV)?.adapter.hooks;
  if (prefix) hooks.prefixKV = (layer, ctx) => prefix.prefixKV!(layer, ctx);
  const input = parts.find((p) => p.adapter.hooks.inputPrefix)?.adapter.hooks;
  if (input) hooks.inputPrefix = (ctx) => input.inputPrefix!(ctx);
  return hooks;
}

/**
 * One adapter for the parts (already checked with `stackProblem`): hooks stacked, parameters and
 * trainable backbone weights the union. `merge` is offered when every part with a linear hook has
 * merge and unmerge; it merges in the listed order (each part folds into the weights the previous
 * left) and unmerges in reverse. `dispose` frees the parts in reverse order.
 */
export function stackAdapters(parts: readonly StackPart[]): StackedAdapter {
  const params: ParamMap = new Map();
  for (const p of parts) for (const [k, v] of p.adapter.params) params.set(k, v);
  const buffers: ParamMap = new Map();
  for (const p of parts) for (const [k, v] of p.adapter.buffers ?? []) buffers.set(k, v);
  const linear = parts.filter((p) => typeof p.adapter.hooks.linear === 'function');
  const mergeable =
    linear.length > 0 && linear.every((p) => typeof p.adapter.merge === 'function' && typeof p.adapter.unmerge === 'function');
  const adapter: StackedAdapter = {
    parts,
    hooks: stackHooks(parts),
    params,
    buffers,
    trainableBackbone() {
      const out: ParamMap = new Map();
      for (const p of parts) for (const [k, v] of p.adapter.trainableBackbone()) out.set(k, v);
      return out;
    },
    dispose() {
      for (const p of [...parts].reverse()) p.adapter.dispose();
      params.clear();
      buffers.clear();
    },
  };
  if (!mergeable) return adapter;
  return {
    ...adapter,
    merge() {
      for (const p of parts) p.adapter.merge?.();
    },
    unmerge() {
      for (const p of [...parts].reverse()) p.adapter.unmerge?.();
    },
  };
}
