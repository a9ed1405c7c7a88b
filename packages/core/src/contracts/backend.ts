/** In `auto` order: the first that loads is used. `native` = the cpu backend with native kernels. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/** What ran a trial; goes into every record. */
export interface BackendInfo {
  name: BackendName;
  /** the tfjs backend id actually active (`native`, `wasm`, `cpu`, `tensorflow`) */
  tfBackend: string;
  threads: number;
  /** backends tried before this one and why they were not used */
  skipped: { name: BackendName; reason: string }[];
}
