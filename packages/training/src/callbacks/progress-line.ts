/**
 * Progress for long loops: a redrawn bar with rate and ETA on a TTY, plain periodic lines
 * elsewhere (CI logs stay readable and line-based).
 */
export class Progress {
  private readonly start = performance.now();
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly unit = 'it',
    /** Where the count starts (a resumed run's step): the rate counts only what this process did. */
    private readonly from = 0,
  ) {
    this.tty = Boolean(out.isTTY) && !process.env.CI;
  }

  update(done: number, extra = ''): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = (done - this.from) / Math.max(elapsed, 1e-9);
    const eta = this.total !== undefined && rate > 0 ? (this.total - done) / rate : Number.NaN;
    const of = this.total === undefined ? '' : `/${this.total}`;
    const text = `${this.label} ${done}${of} ${extra} ${rate.toFixed(1)} ${this.unit}/s ETA ${formatDuration(eta)}`.replace(
      /\s+/g,
      ' ',
    );
    if (this.tty && this.total !== undefined) {
      const width = 24;
      const filled = Math.round((width * done) / Math.max(this.total, 1));
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
    } else if (this.tty) {
      this.out.write(`\r${text}\u001b[K`);
    } else if (done === this.total || performance.now() - this.lastLine > 10_000) {
      this.lastLine = performance.now();
      this.out.write(`${text}\n`);
    }
  }

  done(extra = '', done = this.total ?? 0): void {
    this.update(done, extra);
    if (this.tty) this.out.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Progress for a library loop that reports `(done, total)` (e.g. an `onProgress` option): the
 * line starts at the first report, which brings the total.
 */
export function progressReporter(label: string, unit: string, out: NodeJS.WriteStream = process.stderr) {
  let progress: Progress | null = null;
  return {
    update: (done: number, total: number) => {
      progress ??= new Progress(label, total, out, unit);
      progress.update(done);
    },
    done: () => progress?.done(),
  };
}
