import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../checkpoint/io.js';
import { checkVocabIds } from './vocab-ids.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { renderChatTemplate, type ChatTemplate } from './chat-template.js';

/** What `model-info` and the record say about a tokenizer. */
export interface HfTokenizerInfo {
  /** the model of tokenizer.json (WordPiece, BPE, Unigram, ...) */
  type: string;
  /** `tokenizer.json`, or `vocab.txt` for older BERT folders */
  source: string;
  vocabSize: number;
  specials: Record<'cls' | 'sep' | 'pad' | 'unk' | 'mask', string>;
  lowercase?: boolean;
}

export type HfTokenizer = Tokenizer & { readonly info: HfTokenizerInfo; maxId(): number };

const DEFAULT_SPECIALS: Record<'bert' | 'roberta', HfTokenizerInfo['specials']> = {
  bert: { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' },
  roberta: { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' },
};

/** A token in tokenizer_config.json: a string or a serialised AddedToken `{ content }`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/**
 * A decoder's tokenizer (GPT-2, Llama) names no [CLS], [SEP] or [MASK] and often no pad token:
 * every role it lacks falls back to its end-of-text token (what transformers users set as the pad
 * token), [CLS] to its beginning-of-text token.
 */
function decoderSpecials(config: Record<string, unknown>, source: string): HfTokenizerInfo['specials'] {
  const eos = tokenText(config.eos_token);
  if (eos === undefined) throw new UserError(`${source}: tokenizer_config.json names no eos_token (a decoder's tokenizer needs one)`);
  const bos = tokenText(config.bos_token) ?? eos;
  return { cls: bos, sep: eos, pad: eos, unk: eos, mask: eos };
}

/** tokenizer_config.json's `chat_template` (a string, or a list with a 'default' entry) as the tokenizer's `chatTemplate`. */
function chatTemplateOf(config: Record<string, unknown>, source: string): Pick<Tokenizer, 'chatTemplate'> {
  const raw = config.chat_template;
  const template =
    typeof raw === 'string'
      ? raw
      : Array.isArray(raw)
        ? (raw as { name?: unknown; template?: unknown }[]).find((x) => x?.name === 'default')?.template
        : undefined;
  if (typeof template !== 'string') return {};
  const specialTokens: Record<string, string> = {};
  for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const t = tokenText(config[k]);
    if (t !== undefined) specialTokens[k] = t;
  }
  const t: ChatTemplate = { template, source: `${source} tokenizer_config.json`, specialTokens };
  return { chatTemplate: (messages, addGenerationPrompt) => renderChatTemplate(t, messages, addGenerationPrompt) };
}

/** the largest vocabulary tunelab builds (Gemma's 256k, with room) */
export const MAX_VOCAB = 2 ** 22;

/** Marks one of our ids inside a post-processor call (token strings in, token strings out). */
const SENTINEL = '\u0000tunelab:';

/**
 * A Hugging Face tokenizer (tokenizer.json through `@huggingface/tokenizers`, Hugging Face's own
 * JavaScript implementation) behind tunelab's Tokenizer contract. Special tokens and pair
 * framing come from the files' own post-processor, so `[CLS] a [SEP] b [SEP]` with token types
 * 0/1 (BERT) and `<s> a </s></s> b </s>` (RoBERTa) are what the Hub gives.
 */
export function hfTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  /** `bert` and `roberta` have their default special tokens; other model types take them from tokenizer_config.json */
  modelType: string,
  source: string,
  typeVocabSize = 2,
  /** config.json's vocab_size: every id must be below it, checked before any array is sized by an id */
  vocabSize?: number,
): HfTokenizer {
  const limit = vocabSize ?? MAX_VOCAB;
  checkVocabIds(
    json,
    source,
    limit,
    vocabSize === undefined ? `tunelab allows ids below ${MAX_VOCAB}` : `config.json vocab_size is ${vocabSize}`,
  );
  let impl: HfTokenizerImpl;
  try {
    impl = new HfTokenizerImpl(json, config);
  } catch (e) {
    throw new UserError(`${source}: cannot build the tokenizer (${(e as Error).message.split('\n')[0]})`);
  }
  const vocabMap = impl.get_vocab(true);
  let maxId = -1;
  for (const [tok, id] of vocabMap) {
    if (!Number.isSafeInteger(id) || id < 0)
      throw new UserError(`${source}: token ${JSON.stringify(tok)} has id ${id}; ids are integers from 0`);
    maxId = Math.max(maxId, id);
  }
  // the ids size the vocabulary array: one id of 300,000,000 must not build a 300M-element array
  if (maxId >= limit) {
    throw new UserError(
      `${source}: the tokenizer has ids up to ${maxId} (${vocabMap.size} tokens) but ${vocabSize === undefined ? `tunelab allows ids below ${MAX_VOCAB}` : `config.json vocab_size is ${vocabSize}`}: tokenizer and weights do not belong together`,
    );
  }
  const vocab: string[] = Array.from({ length: maxId + 1 }, (_, i) => `[unused:${i}]`);
  for (const [tok, id] of vocabMap) vocab[id] = tok;
  const specials = modelType === 'bert' || modelType === 'roberta' ? { ...DEFAULT_SPECIALS[modelType] } : decoderSpecials(config, source);
  for (const k of Object.keys(specials) as (keyof typeof specials)[]) {
    const given = tokenText(config[`${k}_token`]);
    if (given !== undefined) specials[k] = given;
  }
  const idOf = (role: keyof typeof specials): number => {
    const id = impl.token_to_id(specials[role]);
    if (id === undefined) throw new UserError(`${source}: the ${role} token '${specials[role]}' is not in the vocabulary`);
    return id;
  };
  const byteLevel = JSON.stringify(json.pre_tokenizer ?? null).includes('"ByteLevel"');
  // a decoder's end-of-text token ends every trained answer (encoders have none)
  const eosText = modelType === 'bert' || modelType === 'roberta' ? undefined : tokenText(config.eos_token);
  const eosId = eosText === undefined ? undefined : impl.token_to_id(eosText);
  const encode = (text: string): number[] => impl.encode(text, { add_special_tokens: false }).ids;
  const modelInfo = json.model as { type?: string } | undefined;
  const normalizer = json.normalizer as { lowercase?: boolean } | null | undefined;
  return {
    vocab,
    padId: idOf('pad'),
    unkId: idOf('unk'),
    clsId: idOf('cls'),
    sepId: idOf('sep'),
    maskId: idOf('mask'),
    ...(eosId !== undefined ? { eosId } : {}),
    info: {
      type: modelInfo?.type ?? 'unknown',
      source,
      vocabSize: vocabMap.size,
      specials,
      ...(typeof normalizer?.lowercase === 'boolean' ? { lowercase: normalizer.lowercase } : {}),
    },
    maxId: () => maxId,
    encode,
    // pre-split words as transformers' is_split_into_words: byte-level BPE puts a space before each
    encodeWords(words) {
      const ids: number[] = [];
      const wordIndex: number[] = [];
      words.forEach((w, i) => {
        for (const id of encode(byteLevel ? ` ${w}` : w)) {
          ids.push(id);
          wordIndex.push(i);
        }
      });
      return { ids, wordIndex };
    },
    frame(a, b) {
      const post = impl.post_processor;
      const tokens = (xs: readonly number[]) => xs.map((id) => `${SENTINEL}${id}`);
      if (post === null) return { ids: [...a, ...(b ?? [])], typeIds: [...a.map(() => 0), ...(b ?? []).map(() => 1)] };
      const out = post._call(tokens(a), b === undefined ? null : tokens(b), { add_special_tokens: true });
      const all = [...out.tokens, ...(out.tokens_pair ?? [])];
      const ids = all.map((t) => (t.startsWith(SENTINEL) ? Number(t.slice(SENTINEL.length)) : (impl.token_to_id(t) ?? idOf('unk'))));
      // a model with one token type (RoBERTa) takes none: transformers does not pass them either
      return { ids, typeIds: typeVocabSize > 1 && out.token_type_ids ? out.token_type_ids : ids.map(() => 0) };
    },
    ...chatTemplateOf(config, source),
    // the library refuses an empty list; nothing decodes to nothing
    decode: (ids) => (ids.length === 0 ? '' : impl.decode([...ids], { skip_special_tokens: false })),
    toJSON: () => json,
  };
}

/** A tokenizer.json for a `vocab.txt`-only BERT folder: BERT's normaliser with the config's casing. */
export function wordPieceJson(vocabTxt: string, config: Record<string, unknown>): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  vocabTxt.split(/\r?\n/).forEach((line, i, all) => {
    if (line === '' && i === all.length - 1) return; // the final newline
    vocab[line] = i;
  });
  const s = { ...DEFAULT_SPECIALS.bert };
  for (const k of Object.keys(s) as (keyof typeof s)[]) s[k] = tokenText(config[`${k}_token`]) ?? s[k];
  const lowercase = config.do_lower_case === undefined ? true : Boolean(config.do_lower_case);
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.values(s)
      .filter((t) => vocab[t] !== undefined)
      .map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: config.strip_accents ?? null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(s.cls), { Sequence: { id: 'A', type_id: 0 } }, special(s.sep)],
      pair: [
        special(s.cls),
        { Sequence: { id: 'A', type_id: 0 } },
        special(s.sep),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: s.sep, type_id: 1 } },
      ],
      special_tokens: Object.fromEntries([s.cls, s.sep].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: s.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** tokenizer.json (and tokenizer_config.json) of a decoder folder, checked against the vocabulary size. */
export async function readDecoderTokenizer(
  dir: string,
  modelType: string,
  vocabSize: number,
): Promise<{ tokenizer: HfTokenizer; sha: string }> {
  const cfgPath = join(dir, 'tokenizer_config.json');
  const tcfg = existsSync(cfgPath) ? ((await readJsonFile(cfgPath, 'tokenizer config')) as Record<string, unknown>) : {};
  const jsonPath = join(dir, 'tokenizer.json');
  if (!existsSync(jsonPath))
    throw new UserError(`${dir}: no tokenizer.json (save the tokenizer with the model: tokenizer.save_pretrained)`);
  const json = (await readJsonFile(jsonPath, 'tokenizer')) as Record<string, unknown>;
  const tokenizer = hfTokenizer(json, tcfg, modelType, jsonPath, 1, vocabSize);
  return { tokenizer, sha: sha256(JSON.stringify(json)) };
}
