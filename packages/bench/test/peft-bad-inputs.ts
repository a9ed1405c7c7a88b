import { encodeSafetensors } from '@tunelab/core/internal';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bad PEFT-format adapters for the bad-input catalogue (issue 28): folders as PEFT writes them, no tunelab extras. */
const BERT = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));

interface Ws {
  dir: string;
  args: string[];
}

const folder = (ws: Ws, name: string) => join(ws.dir, 'hf', name);

/** A PEFT adapter folder: its config and a weight file with a 2-label classifier on d = 32. */
function peftAdapter(ws: Ws, name: string, config: Record<string, unknown>): void {
  const dir = folder(ws, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ task_type: 'SEQ_CLS', modules_to_save: ['classifier'], ...config }));
  const head = { dtype: 'F32' as const, shape: [2, 32], data: new Float32Array(64) };
  writeFileSync(join(dir, 'adapter_model.safetensors'), encodeSafetensors(new Map([['base_model.model.classifier.weight', head]])));
}

/** Write the folders (in the catalogue's beforeAll, so the cases leave the workspace as it was). */
export function makePeftBadFolders(ws: Ws): void {
  peftAdapter(ws, 'peft-ia3', { peft_type: 'IA3', base_model_name_or_path: BERT, target_modules: ['key', 'value'] });
  peftAdapter(ws, 'peft-other-base', { peft_type: 'LORA', base_model_name_or_path: 'meta-llama/Llama-2-7b-hf', r: 8, lora_alpha: 16 });
}

export function PEFT_BAD_CASES(ws: Ws): { name: string; args: () => string[]; message: RegExp }[] {
  const evalOf = (name: string) => () => ['eval', '--model', `hf:${BERT}`, '--task', 'wn-wic', '--adapter', folder(ws, name), ...ws.args];
  const save = join(ws.dir, 'peft-save');
  return [
    {
      name: 'PEFT: an adapter of a type tunelab does not implement',
      args: evalOf('peft-ia3'),
      message: /--adapter .*peft-ia3: .*adapter_config\.json: PEFT adapter type "IA3" is not one tunelab implements \(it reads LORA\)/,
    },
    {
      name: 'PEFT: an adapter for another base model',
      args: evalOf('peft-other-base'),
      message: /--adapter .*peft-other-base: a PEFT adapter for base model 'meta-llama\/Llama-2-7b-hf', but --model is hf:.*bert-tiny/,
    },
    {
      name: 'PEFT: --save-format peft for a method PEFT does not have',
      args: () => [
        'train',
        '--model',
        `hf:${BERT}`,
        '--method',
        'freeze',
        '--task',
        'wn-wic',
        '--save',
        save,
        '--save-format',
        'peft',
        ...ws.args,
      ],
      message: /--save-format peft: method 'freeze' has no PEFT counterpart \(PEFT's format: lora\); use --save-format tunelab/,
    },
    {
      name: 'PEFT: --save-format peft on a zoo model',
      args: () => ['train', '--model', 'tiny', '--method', 'lora', '--task', 'wn-wic', '--save', save, '--save-format', 'peft', ...ws.args],
      message: /--save-format peft: the model has no transformers module paths \(a zoo model\); use --save-format tunelab/,
    },
  ];
}
