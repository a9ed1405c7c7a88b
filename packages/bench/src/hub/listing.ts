import { UserError, type HubRepoKind } from '@tunelab/core/internal';
import { hubGet, nextPage, revisionUrl, treeUrl, type HubClient } from './http.js';

/** One file of a repository at a commit, as the Hub's tree API lists it. */
export interface HubFile {
  path: string;
  size: number;
  /** what the blob is named by and checked against: the LFS SHA-256, else the git blob SHA-1 */
  oid: string;
  hash: 'sha256' | 'git-sha1';
}

export interface HubListing {
  commit: string;
  files: HubFile[];
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** A relative path with no empty, `.` or `..` segment, no backslash and no control character. */
const safePath = (p: string) =>
  p.length > 0 &&
  p.length <= 1024 &&
  ![...p].some((ch) => ch === '\\' || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) &&
  p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');

/** The commit a revision points at, then every file of the repository at that commit. */
export async function listRepository(c: HubClient, kind: HubRepoKind, id: string, rev: string, what: string): Promise<HubListing> {
  const info = (await (await hubGet(c, revisionUrl(c, kind, id, rev), what)).json()) as { sha?: unknown };
  if (typeof info.sha !== 'string' || !COMMIT.test(info.sha))
    throw new UserError(`${what}: ${c.endpoint} gave no commit hash for revision '${rev}' (field "sha")`);
  const commit = info.sha;
  const files: HubFile[] = [];
  for (let url: string | undefined = treeUrl(c, kind, id, commit); url !== undefined;) {
    const res = await hubGet(c, url, what);
    const page = (await res.json()) as unknown;
    if (!Array.isArray(page)) throw new UserError(`${what}: the tree listing of ${c.endpoint} is not a JSON list`);
    for (const e of page) {
      const f = toFile(e, what);
      if (f) files.push(f);
    }
    url = nextPage(res);
  }
  return { commit, files };
}

function toFile(e: unknown, what: string): HubFile | undefined {
  const entry = e as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } };
  if (entry?.type !== 'file') return undefined;
  if (typeof entry.path !== 'string' || !safePath(entry.path))
    throw new UserError(`${what}: the Hub listed a file path tunelab will not write: ${JSON.stringify(entry.path)}`);
  const lfsOid = typeof entry.lfs?.oid === 'string' ? entry.lfs.oid.replace(/^sha256:/, '') : undefined;
  const size = typeof entry.lfs?.size === 'number' ? entry.lfs.size : entry.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new UserError(`${what}: the Hub listed ${entry.path} without a size`);
  if (lfsOid !== undefined) {
    if (!SHA256.test(lfsOid)) throw new UserError(`${what}: ${entry.path}: lfs.oid '${lfsOid}' is not a SHA-256`);
    return { path: entry.path, size, oid: lfsOid, hash: 'sha256' };
  }
  if (typeof entry.oid !== 'string' || !COMMIT.test(entry.oid))
    throw new UserError(`${what}: ${entry.path}: oid ${JSON.stringify(entry.oid)} is not a git blob hash`);
  return { path: entry.path, size, oid: entry.oid, hash: 'git-sha1' };
}

/** Weights pickled with Python (they run code when loaded): never downloaded. */
export const PICKLE = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;

const MODEL_FILES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
]);
const DATASET_META = new Set(['README.md', 'dataset_infos.json', 'dataset_info.json', 'dataset_dict.json']);

/**
 * The files `tunelab pull` takes: for a model, config, tokenizer and generation files and the
 * safetensors weights (shards and their index) at the top level; for a dataset, its Parquet
 * files and its metadata. A repository with nothing tunelab can read is refused.
 */
export function selectFiles(kind: HubRepoKind, files: readonly HubFile[], what: string): HubFile[] {
  if (kind === 'dataset') {
    const parquet = files.filter((f) => f.path.endsWith('.parquet'));
    if (parquet.length === 0)
      throw new UserError(
        `${what}: the dataset has no Parquet files (it has ${summary(files)}); tunelab reads Parquet only: try the Hub's conversion, @refs/convert/parquet`,
      );
    const meta = files.filter((f) => DATASET_META.has(f.path.split('/').pop()!));
    return [...meta, ...parquet];
  }
  const top = files.filter((f) => !f.path.includes('/'));
  const weights = top.filter((f) => f.path.endsWith('.safetensors') || f.path.endsWith('.safetensors.index.json'));
  if (!weights.some((f) => f.path.endsWith('.safetensors'))) {
    const pickles = top.filter((f) => PICKLE.test(f.path)).map((f) => f.path);
    throw new UserError(
      pickles.length > 0
        ? `${what}: the repository has only pickled weights (${pickles.slice(0, 4).join(', ')}); tunelab loads safetensors only and never downloads pickles: pick a revision with model.safetensors or convert it`
        : `${what}: the repository has no safetensors weights (it has ${summary(files)})`,
    );
  }
  if (!top.some((f) => f.path === 'config.json')) throw new UserError(`${what}: the repository has no config.json at its top level`);
  return [...top.filter((f) => MODEL_FILES.has(f.path)), ...weights];
}

function summary(files: readonly HubFile[]): string {
  if (files.length === 0) return 'no files';
  const names = files.map((f) => f.path);
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
}
