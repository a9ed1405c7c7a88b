/**
 * Driver-level GPU memory from NVIDIA's NVML (`libnvidia-ml.so.1`, shipped with the driver),
 * called through koffi (an optional dependency whose binaries come from the npm registry).
 * Without the library (no NVIDIA driver) every entry point says `absent` and why.
 */
export type NvmlStatus = { present: true; driver: string; devices: NvmlDevice[] } | { present: false; reason: string };

export interface NvmlDevice {
  index: number;
  name: string;
  totalBytes: number;
  usedBytes: number;
}

/** An open NVML session: memory of one device, read as often as wanted; close() shuts NVML down. */
export interface NvmlSession {
  driver: string;
  devices(): NvmlDevice[];
  memory(index: number): { totalBytes: number; usedBytes: number };
  close(): void;
}

export type NvmlOpen = { ok: true; session: NvmlSession } | { ok: false; reason: string };

const NVML_SUCCESS = 0;

interface Koffi {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
  struct(name: string, def: Record<string, string>): unknown;
  opaque(name: string): unknown;
  pointer(type: unknown): unknown;
  out(type: unknown): unknown;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}

/** Open NVML from `library` (default: the driver's soname). Never throws. */
export async function openNvml(library = 'libnvidia-ml.so.1'): Promise<NvmlOpen> {
  let koffi: Koffi;
  try {
    const mod = (await import('koffi' as string)) as { default?: Koffi } & Koffi;
    koffi = mod.default ?? mod;
  } catch (e) {
    return { ok: false, reason: `the optional package 'koffi' is not installed (${firstLine(e)})` };
  }
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(library);
  } catch (e) {
    return { ok: false, reason: `${library} cannot be loaded (no NVIDIA driver here?): ${firstLine(e)}` };
  }
  try {
    // struct and type names are global in koffi: unique names, declared once per process
    const tag = `tunelab_nvml_${Math.random().toString(36).slice(2)}`;
    koffi.struct(`${tag}_memory`, { total: 'unsigned long long', free: 'unsigned long long', used: 'unsigned long long' });
    koffi.opaque(`${tag}_device`);
    const init = lib.func('int nvmlInit_v2()');
    const shutdown = lib.func('int nvmlShutdown()');
    const count = lib.func('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)');
    const handle = lib.func(`int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ ${tag}_device **device)`);
    const memInfo = lib.func(`int nvmlDeviceGetMemoryInfo(${tag}_device *device, _Out_ ${tag}_memory *memory)`);
    const name = lib.func(`int nvmlDeviceGetName(${tag}_device *device, _Out_ uint8_t *name, unsigned int length)`);
    const driverVersion = lib.func('int nvmlSystemGetDriverVersion(_Out_ uint8_t *version, unsigned int length)');
    const check = (what: string, rc: unknown) => {
      if (rc !== NVML_SUCCESS) throw new Error(`${what} returned NVML error ${String(rc)}`);
    };
    check('nvmlInit_v2', init());
    const text = (f: (buf: Uint8Array) => unknown, what: string) => {
      const buf = new Uint8Array(96);
      check(what, f(buf));
      const end = buf.indexOf(0);
      return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
    };
    const driver = text((b) => driverVersion(b, b.length), 'nvmlSystemGetDriverVersion');
    const device = (index: number) => {
      const out: unknown[] = [null];
      check('nvmlDeviceGetHandleByIndex_v2', handle(index, out));
      return out[0];
    };
    const memory = (index: number) => {
      const m: { total?: number | bigint; used?: number | bigint } = {};
      check('nvmlDeviceGetMemoryInfo', memInfo(device(index), m));
      return { totalBytes: Number(m.total), usedBytes: Number(m.used) };
    };
    const session: NvmlSession = {
      driver,
      memory,
      devices: () => {
        const n = [0];
        check('nvmlDeviceGetCount_v2', count(n));
        return Array.from({ length: n[0]! }, (_, index) => ({
          index,
          name: text((b) => name(device(index), b, b.length), 'nvmlDeviceGetName'),
          ...memory(index),
        }));
      },
      close: () => void shutdown(),
    };
    return { ok: true, session };
  } catch (e) {
    return { ok: false, reason: `${library} loaded but NVML is unusable: ${firstLine(e)}` };
  }
}

/** Driver version and every device with its memory, or `absent` with the reason. */
export async function nvmlStatus(library?: string): Promise<NvmlStatus> {
  const open = await openNvml(library);
  if (!open.ok) return { present: false, reason: open.reason };
  try {
    return { present: true, driver: open.session.driver, devices: open.session.devices() };
  } catch (e) {
    return { present: false, reason: firstLine(e) };
  } finally {
    open.session.close();
  }
}
