import { extname, resolve } from 'node:path';
import type { TaskData } from '../contracts/task.js';
import { firstJsonObject, generationFormatOf, loadGenerationFile, type GenerationFormat } from './generation-file.js';
import { loadFileTask } from './loaders.js';
import { READ_LIMITS, readFileCheckedAsync } from '../util/read-file.js';

/** A JSONL file holds instruction data when its first object has prompt/completion, Alpaca's fields, or a conversation. */
async function generationFormatIn(spec: string, cwd: string): Promise<GenerationFormat | undefined> {
  let head: string;
  try {
    const bytes = await readFileCheckedAsync(resolve(cwd, spec), { what: 'data file', maxBytes: READ_LIMITS.data });
    head = Buffer.from(bytes.subarray(0, 1 << 20)).toString('utf8');
  } catch {
    return undefined; // missing, not a regular file, too large or unreadable: the classification reader says which
  }
  const first = firstJsonObject(head);
  return first ? generationFormatOf(first) : undefined;
}

/**
 * `--task file:<path>`: instruction data (a JSONL file whose first row has prompt/completion or
 * Alpaca's fields) is a generation task; anything else goes to the classification, pair and
 * tagging reader (`loadFileTask`).
 */
export async function loadUserFileTask(spec: string, cwd: string): Promise<TaskData> {
  if (extname(spec).toLowerCase() === '.jsonl') {
    const format = await generationFormatIn(spec, cwd);
    if (format) return loadGenerationFile(spec, cwd, format);
  }
  return loadFileTask(spec, cwd);
}
