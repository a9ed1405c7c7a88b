import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Hugging Face Hub in the test process (node:http on 127.0.0.1, a random
 * port), serving fixture repositories through the endpoints `tunelab pull` uses, with the Hub's
 * JSON fields: `/api/{models,datasets}/<id>/revision/<rev>` (`sha`), `/api/.../tree/<rev>`
 * (`type`, `path`, `size`, `oid`, `lfs.oid`, paginated with a `Link: rel="next"` header) and
 * `[/datasets]/<id>/resolve/<rev>/<path>` with `Range: bytes=N-`. Faults for the tests: a gated
 * repository (401 without its token), a connection dropped mid-file, a corrupted file.
 */
export interface FixtureRepo {
  kind: 'model' | 'dataset';
  id: string;
  /** branch or tag -> commit (40 hex); a commit hash is a revision too */
  refs: Record<string, string>;
  /** commit -> path -> bytes */
  commits: Record<string, Record<string, Uint8Array>>;
  /** the token a gated repository wants */
  token?: string;
}

export interface HubFaults {
  /** path -> bytes sent before the connection is dropped, and how many more times to do it */
  drop: Map<string, { after: number; times: number }>;
  /** paths served with one byte flipped */
  corrupt: Set<string>;
}

export interface HubServer {
  url: string;
  requests: { path: string; range?: string; auth?: string }[];
  faults: HubFaults;
  close(): Promise<void>;
}

export const commitOf = (label: string) => createHash('sha1').update(label).digest('hex');
const isLfs = (path: string) => /\.(safetensors|parquet|bin|pt|pth|ckpt)$/.test(path);
const gitOid = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const PAGE = 3;

export async function startHubServer(repos: readonly FixtureRepo[]): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const faults: HubFaults = { drop: new Map(), corrupt: new Set() };
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(u.pathname);
    requests.push({
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    try {
      handle(req, res, u, path);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  const find = (kind: string, rest: string): { repo: FixtureRepo; tail: string } | undefined => {
    for (const repo of repos)
      if (repo.kind === kind && rest.startsWith(`${repo.id}/`)) return { repo, tail: rest.slice(repo.id.length + 1) };
    return undefined;
  };
  const commitFor = (repo: FixtureRepo, rev: string) => repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
  // a revision may contain slashes (refs/convert/parquet): the longest one that names a commit
  const splitRev = (repo: FixtureRepo, tail: string): { commit: string; rest: string } | undefined => {
    const parts = tail.split('/');
    for (let i = parts.length; i >= 1; i--) {
      const commit = commitFor(repo, parts.slice(0, i).join('/'));
      if (commit) return { commit, rest: parts.slice(i).join('/') };
    }
    return undefined;
  };
  function handle(req: IncomingMessage, res: ServerResponse, u: URL, path: string): void {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void =>
      void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const api = path.match(/^\/api\/(models|datasets)\/(.+)$/);
    const resolve = path.match(/^(\/datasets)?\/(.+)$/);
    const kind = api ? (api[1] === 'models' ? 'model' : 'dataset') : resolve?.[1] ? 'dataset' : 'model';
    const found = find(kind, api ? api[2]! : resolve![2]!);
    if (!found) return json(404, { error: 'Repository not found' });
    const { repo } = found;
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`)
      return json(401, { error: 'Access to this repository is restricted' });
    const m = found.tail.match(/^(revision|tree|resolve)\/(.+)$/);
    if (!m) return json(404, { error: 'Entry not found' });
    const at = splitRev(repo, m[2]!);
    if (!at) return json(404, { error: 'Revision not found' });
    const files = repo.commits[at.commit]!;
    if (api && m[1] === 'revision')
      return json(200, { id: repo.id, sha: at.commit, siblings: Object.keys(files).map((rfilename) => ({ rfilename })) });
    if (api && m[1] === 'tree') {
      const entries = listing(files);
      const cursor = Number(u.searchParams.get('cursor') ?? 0);
      const next =
        cursor + PAGE < entries.length ? `<${serverUrl()}${u.pathname}?recursive=true&cursor=${cursor + PAGE}>; rel="next"` : undefined;
      return json(200, entries.slice(cursor, cursor + PAGE), next ? { link: next } : {});
    }
    if (api || m[1] !== 'resolve') return json(404, { error: 'Entry not found' });
    const body = files[at.rest];
    if (!body) return json(404, { error: 'Entry not found' });
    serve(req, res, at.rest, body, at.commit);
  }
  function serve(req: IncomingMessage, res: ServerResponse, path: string, original: Uint8Array, commit: string): void {
    let body = Buffer.from(original);
    if (faults.corrupt.has(path)) {
      body = Buffer.from(body);
      body[body.length >> 1] = body[body.length >> 1]! ^ 0x5a;
    }
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    const start = range ? Number(range[1]) : 0;
    if (start > body.length) return void res.writeHead(416).end();
    const part = body.subarray(start);
    const headers = { 'content-length': String(part.length), 'x-repo-commit': commit, etag: `"${isLfs(path) ? 'lfs' : gitOid(original)}"` };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    else res.writeHead(200, headers);
    const drop = faults.drop.get(path);
    if (drop && drop.times > 0 && part.length > drop.after) {
      drop.times--;
      res.write(part.subarray(0, drop.after), () => res.socket?.end()); // FIN, not RST: the bytes sent arrive
      return;
    }
    res.end(part);
  }
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const serverUrl = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: serverUrl(),
    requests,
    faults,
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

function listing(files: Record<string, Uint8Array>): unknown[] {
  const dirs = new Set<string>();
  const out: unknown[] = [];
  for (const [path, bytes] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      out.push({ type: 'directory', path: d, oid: commitOf(d), size: 0 });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`;
    out.push(
      isLfs(path)
        ? {
            type: 'file',
            path,
            size: bytes.length,
            oid: gitOid(Buffer.from(pointer)),
            lfs: { oid: sha256, size: bytes.length, pointerSize: pointer.length },
          }
        : { type: 'file', path, size: bytes.length, oid: gitOid(bytes) },
    );
  }
  return out;
}
