import cliProgress from 'cli-progress';

/** A bar with ETA on a TTY; plain lines (at most ~20 per run) otherwise. Output goes to stderr. */
export interface Progress {
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {info}`, stream, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update: (done, info) => bar.update(done, { info: fmt(info) }),
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.ceil(total / 20));
  const start = Date.now();
  return {
    update(done, info) {
      if (done % every !== 0 && done !== total) return;
      const elapsed = (Date.now() - start) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
      stream.write(`${label} ${done}/${total} ${fmt(info)} elapsed ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s\n`);
    },
    stop() {},
  };
}

function fmt(info?: Record<string, string | number>): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`)
    .join(' ');
}
