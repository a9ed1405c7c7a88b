import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquet, writeDataset, writeGlue } from '../../core/test/data/hub-datasets.js';
import { commitOf, startHubServer, type HubServer } from './hub-server.js';

/**
 * Bad inputs of the Hub commands for the catalogue: a pull of a repository with only pickles
 * (against a stand-in Hub in the test process), and hf-dataset: tasks with a missing column, a
 * column of a type tunelab cannot read, and a dataset not in the cache. The datasets go into the
 * hub cache the catalogue points HF_HUB_CACHE at (hf-bad-inputs.ts).
 */
interface Ws {
  dir: string;
  args: string[];
}

interface HubCase {
  name: string;
  args: () => string[];
  message: RegExp;
  env?: Record<string, string>;
  /** extra checks after the run: nothing written */
  after?: () => void;
}

const FIXTURE = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));
const PICKLES = commitOf('pickles only');

export function hubBadInputs(ws: Ws): { setup(): Promise<void>; close(): Promise<void>; cases: HubCase[] } {
  let hub: HubServer | undefined;
  const cache = () => join(ws.dir, 'hub');
  const train =
    (task: string, extra: string[] = []) =>
    () => ['train', '--model', 'tiny', '--method', 'lora', '--task', task, ...extra, ...ws.args];
  return {
    async setup() {
      hub = await startHubServer([
        {
          kind: 'model',
          id: 'tunelab-test/pickles-only',
          refs: { main: PICKLES },
          commits: {
            [PICKLES]: {
              'config.json': new Uint8Array(readFileSync(join(FIXTURE, 'config.json'))),
              'pytorch_model.bin': new TextEncoder().encode('PK pickle'),
            },
          },
        },
      ]);
      writeGlue(cache());
      writeDataset(cache(), 'someone/floats', {
        'data/train.parquet': parquet([
          { name: 'text', data: [1.5, 2.5], type: 'DOUBLE' },
          { name: 'label', data: [0n, 1n], type: 'INT64' },
        ]),
      });
    },
    close: async () => hub?.close(),
    cases: [
      {
        name: 'Hub: a pull of a repository with only pickles',
        args: () => ['pull', 'hf:tunelab-test/pickles-only'],
        get env() {
          return { HF_ENDPOINT: hub!.url };
        },
        message:
          /pull hf:tunelab-test\/pickles-only: the repository has only pickled weights \(pytorch_model\.bin\); tunelab loads safetensors only/,
        after: () => {
          if (existsSync(join(cache(), 'models--tunelab-test--pickles-only'))) throw new Error('the refused pull wrote into the hub cache');
        },
      },
      {
        name: 'Hub dataset: a column that does not exist',
        args: train('hf-dataset:nyu-mll/glue:sst2', ['--columns', 'text=sentense,label=label']),
        message: /sst2\/train-00000-of-00001\.parquet: no column 'sentense' \(--columns text=sentense\); its columns: sentence, label, idx/,
      },
      {
        name: 'Hub dataset: a Parquet column of a type tunelab cannot read',
        args: train('hf-dataset:someone/floats'),
        message: /someone\/floats\/data\/train\.parquet: column 'text' \(--columns text=text\) has Parquet type double; text needs strings/,
      },
      {
        name: 'Hub dataset: not in the local cache',
        args: train('hf-dataset:glue-fans/sst5'),
        message:
          /--task hf-dataset:glue-fans\/sst5: not in the local Hugging Face cache .*; fetch it with `tunelab pull hf:glue-fans\/sst5 --dataset`/,
      },
    ],
  };
}
