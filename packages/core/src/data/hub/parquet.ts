import { readFile } from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';

/** A Parquet file's top-level column names, from its footer alone. */
export async function parquetColumns(path: string, shown: string): Promise<string[]> {
  const bytes = await readFile(path);
  try {
    return parquetSchema(
      parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer),
    ).children.map((c) => c.element.name);
  } catch (e) {
    throw new UserError(`${shown}: not a Parquet file tunelab can read (${(e as Error).message})`);
  }
}

/** One Parquet file's rows (only the columns asked for), with its schema's column types and hash. */
export interface ParquetTable {
  /** the path shown in messages */
  shown: string;
  rows: Record<string, unknown>[];
  /** column -> a readable type ('string', 'int64', 'list<string>', 'struct', ...) */
  types: Map<string, string>;
  /** column -> ClassLabel names from the file's own `huggingface` metadata, if it has them */
  labels: Map<string, string[]>;
  sha256: string;
}

/**
 * Read `columns` of a Parquet file with hyparquet (pure JavaScript). A column the file lacks is
 * a UserError that lists the columns it has; a file hyparquet cannot decode names the reason.
 */
export async function readParquet(
  path: string,
  shown: string,
  columns: readonly string[],
  flagOf: (c: string) => string,
): Promise<ParquetTable> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    throw new UserError(`${shown}: not a Parquet file tunelab can read (${(e as Error).message})`);
  }
  const types = new Map<string, string>();
  for (const child of parquetSchema(metadata).children) types.set(child.element.name, typeOf(child));
  for (const c of columns)
    if (!types.has(c)) throw new UserError(`${shown}: no column '${c}' (${flagOf(c)}); its columns: ${[...types.keys()].join(', ')}`);
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file, metadata, columns: [...columns], compressors })) as Record<string, unknown>[];
  } catch (e) {
    throw new UserError(
      `${shown}: cannot decode the Parquet data (${(e as Error).message}); tunelab reads uncompressed and Snappy-compressed Parquet`,
    );
  }
  return { shown, rows, types, labels: hfLabels(metadata.key_value_metadata ?? []), sha256: sha256(bytes) };
}

interface SchemaNode {
  element: { name: string; type?: string; converted_type?: string; logical_type?: { type: string } };
  children: SchemaNode[];
}

/** A readable name of a column's type, from its schema node. */
function typeOf(n: SchemaNode): string {
  const e = n.element;
  if (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') {
    const item = n.children[0]?.children[0] ?? n.children[0];
    return `list<${item ? typeOf(item) : '?'}>`;
  }
  if (n.children.length > 0) return 'struct';
  if (e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING') return 'string';
  if (e.converted_type === 'JSON') return 'json';
  return (e.type ?? 'unknown').toLowerCase();
}

/** `huggingface` key-value metadata (what `datasets` writes): `{info: {features: {label: {names}}}}`. */
function hfLabels(kv: readonly { key: string; value?: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = kv.find((k) => k.key === 'huggingface')?.value;
  if (!raw) return out;
  let features: unknown;
  try {
    features = (JSON.parse(raw) as { info?: { features?: unknown } })?.info?.features;
  } catch {
    return out;
  }
  if (typeof features !== 'object' || features === null) return out;
  for (const [col, f] of Object.entries(features as Record<string, { names?: unknown; feature?: { names?: unknown } }>)) {
    const names = f?.names ?? f?.feature?.names;
    if (Array.isArray(names)) out.set(col, names.map(String));
  }
  return out;
}
