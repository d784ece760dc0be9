import { describe, expect, it } from 'vitest';
import { formatDuration, Progress, progressReporter } from '../src/index.js';

/** A stream that records what is written, as a TTY or not. */
function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

describe('progress', () => {
  it('writes plain lines off a TTY: the last one with the total, rate and ETA', () => {
    const { written, stream } = sink(false);
    const p = new Progress('train', 10, stream, 'steps');
    for (let i = 1; i <= 10; i++) p.update(i, `loss ${i}`);
    expect(written.at(-1)).toMatch(/^train 10\/10 loss 10 [\d.]+ steps\/s ETA 0:00\n$/);
    expect(written.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it('redraws one bar on a TTY; without a total it shows the count and no ETA', () => {
    const bar = sink(true);
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      new Progress('train', 4, bar.stream).update(2);
      expect(bar.written[0]).toMatch(/^\r\[#{12}\.{12}\] train 2\/4 /);
      const open = sink(true);
      new Progress('stream', undefined, open.stream, 'batches').update(7);
      expect(open.written[0]).toMatch(/^\rstream 7 [\d.]+ batches\/s ETA \?/);
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });

  it('progressReporter starts at the first report, which brings the total', () => {
    const { written, stream } = sink(false);
    const r = progressReporter('embed', 'captions', stream);
    r.done(); // nothing reported yet: nothing written
    expect(written).toEqual([]);
    r.update(5, 5);
    expect(written[0]).toMatch(/^embed 5\/5 /);
  });

  it('formats durations as m:ss and h:mm', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
