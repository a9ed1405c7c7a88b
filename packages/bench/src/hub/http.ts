import { UserError } from '@tunelab/core/internal';
import type { HubRepoKind } from '@tunelab/core/internal';

/**
 * How tunelab talks to the Hugging Face Hub: `HF_ENDPOINT` (default https://huggingface.co),
 * `HF_TOKEN` sent as `Authorization: Bearer`, and `HF_HUB_OFFLINE` (any of 1/true/yes/on) that
 * refuses every request. Only `tunelab pull` uses this; training never touches the network.
 */
export interface HubClient {
  endpoint: string;
  token?: string;
}

const TRUE = /^(1|true|yes|on)$/i;

export function hubClient(env: NodeJS.ProcessEnv, what: string): HubClient {
  if (env.HF_HUB_OFFLINE !== undefined && TRUE.test(env.HF_HUB_OFFLINE.trim())) {
    throw new UserError(`${what}: HF_HUB_OFFLINE=${env.HF_HUB_OFFLINE} forbids downloads; unset HF_HUB_OFFLINE (or set it to 0) to pull`);
  }
  const raw = (env.HF_ENDPOINT ?? 'https://huggingface.co').trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`HF_ENDPOINT: '${raw}' is not a URL; expected e.g. https://huggingface.co`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(`HF_ENDPOINT: '${raw}' must be an http:// or https:// URL`);
  }
  const token = env.HF_TOKEN?.trim();
  return { endpoint: raw, ...(token ? { token } : {}) };
}

/** The Hub's URL prefix of a repository kind: `/api/models/...`, `/datasets/<id>/resolve/...`. */
export const apiPath = (kind: HubRepoKind) => (kind === 'model' ? 'models' : 'datasets');
const resolvePrefix = (kind: HubRepoKind) => (kind === 'model' ? '' : '/datasets');
const encRev = (rev: string) => encodeURIComponent(rev);
const encPath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export const revisionUrl = (c: HubClient, kind: HubRepoKind, id: string, rev: string) =>
  `${c.endpoint}/api/${apiPath(kind)}/${id}/revision/${encRev(rev)}`;
export const treeUrl = (c: HubClient, kind: HubRepoKind, id: string, commit: string) =>
  `${c.endpoint}/api/${apiPath(kind)}/${id}/tree/${encRev(commit)}?recursive=true&expand=false`;
export const resolveUrl = (c: HubClient, kind: HubRepoKind, id: string, commit: string, path: string) =>
  `${c.endpoint}${resolvePrefix(kind)}/${id}/resolve/${encRev(commit)}/${encPath(path)}`;

/** A GET with the token; network failures and refusals become one-line UserErrors naming `what`. */
export async function hubGet(c: HubClient, url: string, what: string, headers: Record<string, string> = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...headers, ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) }, redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new UserError(`${what}: cannot reach ${c.endpoint} (${cause}); check the network or HF_ENDPOINT`);
  }
  if (res.ok) return res;
  await res.body?.cancel();
  if (res.status === 401)
    throw new UserError(
      c.token
        ? `${what}: ${c.endpoint} refused HF_TOKEN (401): the token is invalid or expired; make a new one at ${c.endpoint}/settings/tokens`
        : `${what}: the repository is gated or private (401 from ${c.endpoint}); set HF_TOKEN to a token that has access (${c.endpoint}/settings/tokens)`,
    );
  if (res.status === 403)
    throw new UserError(`${what}: HF_TOKEN has no access (403); accept the repository's conditions on ${c.endpoint} or use another token`);
  if (res.status === 404)
    throw new UserError(`${what}: not found on ${c.endpoint} (404); check the repository id, the revision, and --dataset for datasets`);
  if (res.status === 416) return res;
  throw new UserError(`${what}: ${c.endpoint} answered ${res.status} ${res.statusText}; try again later`);
}

/** The URL of the next page of a paginated listing (`Link: <url>; rel="next"`), if any. */
export function nextPage(res: Response): string | undefined {
  const link = res.headers.get('link');
  const m = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
  return m?.[1];
}
