import { readFileSync } from 'node:fs';
import { hfTokenizer, type HfTokenizer } from '../../src/hub/tokenizer.js';
import { fixtureDir } from '../hf/fixtures.js';

/** A decoder fixture's tokenizer (with its chat template), read without the weights. */
export function readHfTokenizerFor(name: string): HfTokenizer {
  const dir = fixtureDir(name);
  const json = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')) as Record<string, unknown>;
  const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
  const model = (JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as { model_type: string }).model_type;
  return hfTokenizer(json, config, model, dir);
}
