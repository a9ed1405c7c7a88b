import type { TaskKind } from '../contracts/task.js';

/** What `adapter_config.json` holds: enough to rebuild the adapter on the same base model. */
export interface AdapterConfigFile {
  format: 'tunelab-adapter';
  formatVersion: 1;
  method: { id: string; version: string; packageName: string };
  /** a stack's parts, in order (its `method` is then the parts' fields joined by '+') */
  methods?: { id: string; version: string; packageName: string }[];
  params: Record<string, unknown>;
  task: { kind: TaskKind; numLabels: number };
  /** SHA-256 of the base checkpoint the adapter was trained on */
  baseModelSha256?: string;
  /**
   * Read, not written: the folder holds PEFT's format (`adapter_config.json` is PEFT's config, and
   * this file's fields come from `tunelab_adapter.json` when `extras`, else from PEFT's config).
   */
  peft?: { config: Record<string, unknown>; extras: boolean };
}
