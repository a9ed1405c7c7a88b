import {
  applyMethod,
  createRng,
  generate,
  headFor,
  isCausalLM,
  loadAdapterWeights,
  renderChat,
  rngStreams,
  UserError,
  type Adapter,
  type Backbone,
  type ForwardHooks,
  type Head,
  type LoadedModel,
} from '@tunelab/core/internal';
import { checkAdapterBase } from '../eval/check.js';
import { sourceContext, type TrialEnv } from '../trial/index.js';

export interface GenerateRequest {
  model: string;
  /** a folder written by `tunelab train --save` */
  adapter?: string;
  prompts: string[];
  /** render each prompt as one user message through the tokenizer's chat template */
  chat: boolean;
  maxNewTokens: number;
  temperature: number;
  /** nucleus sampling (with temperature > 0); 1 when absent */
  topP?: number;
  /** the sampling stream's seed (with temperature > 0); 0 when absent */
  seed?: number;
}

export interface Completion {
  prompt: string;
  /** the ids the model was given (BOS and chat template included) */
  promptIds: number[];
  /** the new ids (a stop id excluded) */
  ids: number[];
  text: string;
}

function checkRequest(r: GenerateRequest): void {
  if (r.prompts.length === 0) throw new UserError('--prompt: give at least one prompt');
  if (!(Number.isInteger(r.maxNewTokens) && r.maxNewTokens >= 1))
    throw new UserError(`--max-new-tokens: must be an integer >= 1 (got ${r.maxNewTokens})`);
  if (!(Number.isFinite(r.temperature) && r.temperature >= 0))
    throw new UserError(`--temperature: must be a number >= 0 (got ${r.temperature})`);
  if (r.topP !== undefined && !(Number.isFinite(r.topP) && r.topP > 0 && r.topP <= 1))
    throw new UserError(`--top-p: must be in (0, 1] (got ${r.topP})`);
  if (r.seed !== undefined && !Number.isInteger(r.seed)) throw new UserError(`--seed: must be an integer (got ${r.seed})`);
  for (const [flag, v] of [
    ['--top-p', r.topP],
    ['--seed', r.seed],
  ] as const) {
    if (v !== undefined && r.temperature === 0)
      throw new UserError(`${flag}: applies only when sampling; add --temperature > 0 (without it, decoding is greedy)`);
  }
}

/** The prompt ids as the checkpoint's tokenizer frames one text (Llama: <s> first; GPT-2: nothing added), or the rendered chat. */
function promptIds(loaded: LoadedModel, text: string, chat: boolean, i: number): number[] {
  const tok = loaded.tokenizer;
  // a rendered template writes its special tokens itself (apply_chat_template encodes without adding any)
  const ids = chat
    ? tok.encode(renderChat(loaded.generation!, [{ role: 'user', content: text }], true))
    : tok.frame
      ? tok.frame(tok.encode(text)).ids
      : tok.encode(text);
  if (ids.length === 0) throw new UserError(`--prompt #${i + 1}: encodes to no tokens (nothing to continue from)`);
  return ids;
}

/** An adapter saved by `train --save`, checked against this base and loaded onto `model`: its hooks, and how to take it off. */
async function withAdapter(
  dir: string,
  model: Backbone,
  loaded: LoadedModel,
  spec: string,
  env: TrialEnv,
): Promise<{ hooks: ForwardHooks; dispose(): void }> {
  const c = await checkAdapterBase(dir, { registry: env.registry, model: spec, baseSha256: loaded.identity.sha256, warn: env.log });
  const { kind, numLabels } = c.config.task;
  const rng = rngStreams(0).init; // every value it draws is overwritten by the saved weights
  const head: Head = headFor(model, kind, numLabels, rng);
  let adapter: Adapter | undefined;
  try {
    adapter = applyMethod(c.method, { model, config: c.params, rng, task: { kind, numLabels }, sequenceLength: loaded.sequenceLength });
    await loadAdapterWeights(c.dir, adapter, head, c.config.method.id);
  } catch (e) {
    adapter?.dispose();
    head.dispose();
    throw e;
  }
  const a = adapter;
  return {
    hooks: a.hooks,
    dispose: () => {
      a.dispose();
      head.dispose();
    },
  };
}

/**
 * `tunelab generate`: load a causal LM (and an adapter on it), frame each prompt as its tokenizer
 * does (or through its chat template), and complete them in one left-padded batch with the KV
 * cache, stopping at the checkpoint's EOS ids (generation_config.json).
 */
export async function generateText(r: GenerateRequest, env: TrialEnv): Promise<Completion[]> {
  checkRequest(r);
  const source = env.models.source(r.model);
  const blueprint = await source.blueprint(r.model, sourceContext(env));
  if (!blueprint.shape.causal) {
    throw new UserError(
      `--model ${r.model}: an encoder (masked LM), not a causal LM; tunelab generate needs a decoder (gpt2, llama, mistral, qwen2)`,
    );
  }
  const loaded = await source.load(r.model, sourceContext(env, false));
  const gen = loaded.generation;
  if (gen === undefined)
    throw new UserError(
      `--model ${r.model}: its family gives no generation settings (EOS ids); tunelab generate needs a decoder checkpoint`,
    );
  const prompts = r.prompts.map((p, i) => promptIds(loaded, p, r.chat, i));
  const longest = Math.max(...prompts.map((p) => p.length));
  const limit = loaded.shape.maxPositions;
  if (longest + r.maxNewTokens - 1 > limit) {
    throw new UserError(
      `--max-new-tokens: a prompt of ${longest} tokens plus ${r.maxNewTokens} new ones exceeds the model's ${limit} positions`,
    );
  }
  const model = loaded.instantiate();
  let adapter: { hooks: ForwardHooks; dispose(): void } | undefined;
  try {
    if (!isCausalLM(model)) throw new UserError(`--model ${r.model}: its backbone has no LM head; tunelab generate needs a decoder`);
    if (r.adapter !== undefined) adapter = await withAdapter(r.adapter, model, loaded, r.model, env);
    const ids = generate(model, prompts, {
      maxNewTokens: r.maxNewTokens,
      eosIds: gen.eosIds,
      padId: loaded.tokenizer.padId,
      ...(adapter ? { hooks: adapter.hooks } : {}),
      ...(r.temperature > 0 ? { temperature: r.temperature, topP: r.topP ?? 1, rng: createRng(`${r.seed ?? 0}:generate`) } : {}),
    });
    return ids.map((row, i) => ({ prompt: r.prompts[i]!, promptIds: prompts[i]!, ids: row, text: loaded.tokenizer.decode(row) }));
  } finally {
    adapter?.dispose();
    model.dispose();
  }
}
