import type { Callback } from './callback.js';
import { Progress } from './progress-line.js';

/** Steps, loss, rate and ETA: a redrawn line on a TTY, a plain line every 10 s in CI logs. */
export function progressBar(options: { label?: string; out?: NodeJS.WriteStream } = {}): Callback {
  let progress: Progress | null = null;
  let last = 0;
  return {
    onTrainBegin: (context) => {
      progress = new Progress(
        options.label ?? 'train',
        context.totalSteps,
        options.out ?? process.stderr,
        'steps',
        context.state.step,
      );
    },
    onStepEnd: (log, context) => {
      last = log.step;
      progress?.update(log.step, `epoch ${log.epoch}/${context.epochs} loss ${log.loss.toFixed(4)}`);
    },
    onTrainEnd: (result) => {
      if (!result.stopped) progress?.done('', last);
    },
  };
}
