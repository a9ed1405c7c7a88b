import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHfCheckpoint } from '../../src/families/bert/load.js';
import { encodeSplit } from '../../src/train/encode.js';
import { FIXTURE_NAMES, fixtureDir, reference } from './fixtures.js';

describe('Hugging Face tokenizers give the reference ids', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: every text and the pair, special tokens and framing included`, async () => {
      const ref = reference(name);
      const { tokenizer: tok } = await readHfCheckpoint(fixtureDir(name));
      for (const e of ref.text_encodings) expect(tok.frame!(tok.encode(e.text)).ids, e.text).toEqual(e.ids);
      const p = ref.pair_encoding;
      expect(tok.frame!(tok.encode(p.text), tok.encode(p.text_pair)).ids).toEqual(p.ids);
    });
  }

  it('bert-tiny: pairs carry token types 0 then 1 (the reference batch row 0), RoBERTa only zeros in the model', async () => {
    const { tokenizer: tok } = await readHfCheckpoint(fixtureDir('bert-tiny'));
    const p = reference('bert-tiny').pair_encoding;
    const { typeIds } = tok.frame!(tok.encode(p.text), tok.encode(p.text_pair));
    const a = tok.encode(p.text).length + 2; // [CLS] a [SEP]
    expect(typeIds).toEqual([...Array(a).fill(0), ...Array(typeIds.length - a).fill(1)]);
  });

  it('a vocab.txt-only BERT folder tokenizes exactly as its tokenizer.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tunelab-vocab-'));
    try {
      for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json'])
        await copyFile(join(fixtureDir('bert-tiny'), f), join(dir, f));
      const a = await readHfCheckpoint(fixtureDir('bert-tiny'));
      const b = await readHfCheckpoint(dir);
      expect(b.tokenizer.info.source).toMatch(/vocab\.txt$/);
      expect(b.tokenizer.info.lowercase).toBe(true);
      for (const e of reference('bert-tiny').text_encodings) expect(b.tokenizer.frame!(b.tokenizer.encode(e.text)).ids).toEqual(e.ids);
      expect([b.tokenizer.clsId, b.tokenizer.sepId, b.tokenizer.padId, b.tokenizer.maskId]).toEqual([
        a.tokenizer.clsId,
        a.tokenizer.sepId,
        a.tokenizer.padId,
        a.tokenizer.maskId,
      ]);
      // the config's casing: do_lower_case false keeps capitals apart
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
      const cased = await readHfCheckpoint(dir);
      expect(cased.tokenizer.info.lowercase).toBe(false);
      expect(cased.tokenizer.encode('The')).not.toEqual(b.tokenizer.encode('The'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('encodes tasks with the model framing: RoBERTa pairs get </s></s>, tagging labels sit on first sub-tokens', async () => {
    const { tokenizer: tok } = await readHfCheckpoint(fixtureDir('roberta-tiny'));
    const pair = encodeSplit([{ text: 'a small plant', textB: 'the city', label: 1 }], 'pair', tok, 32);
    const ids = [...pair.ids.subarray(0, pair.lengths[0])];
    expect(ids[0]).toBe(tok.clsId);
    const sep = ids.indexOf(tok.sepId);
    expect(ids[sep + 1]).toBe(tok.sepId); // </s></s> between the texts
    expect(ids.at(-1)).toBe(tok.sepId);
    const tagged = encodeSplit([{ words: ['small', 'plant'], tags: [1, 0] }], 'tagging', tok, 32);
    const { ids: sub, wordIndex } = tok.encodeWords(['small', 'plant']);
    const labels = [...tagged.labels.subarray(0, tagged.lengths[0])];
    expect(labels.length).toBe(sub.length + 2);
    expect(labels[1]).toBe(1);
    expect(labels[1 + wordIndex.indexOf(1)]).toBe(0);
    expect(labels.filter((l) => l >= 0)).toEqual([1, 0]);
    // the space before each pre-split word, as transformers' is_split_into_words with add_prefix_space
    expect(tok.encodeWords(['plant']).ids).toEqual(tok.encode(' plant'));
  });

  it('truncates to the task length with the framing counted, never past it', async () => {
    const { tokenizer: tok } = await readHfCheckpoint(fixtureDir('roberta-tiny'));
    const long = Array(50).fill('plant').join(' ');
    const s = encodeSplit([{ text: long, textB: long, label: 0 }], 'pair', tok, 24);
    expect(s.lengths[0]).toBe(24);
    expect(s.ids[23]).toBe(tok.sepId);
  });
});
