import type { Callback } from './callback.js';

/**
 * Stops a run when the validation metric has not improved for `patience` epochs. The count lives
 * in the training state, so it survives a resume.
 */
export function earlyStopping(options: { patience: number }): Callback {
  const { patience } = options;
  if (!Number.isInteger(patience) || patience < 1)
    throw new Error(`earlyStopping: patience must be an integer ≥ 1, got ${patience}`);
  return {
    onEpochEnd: (log, context) => {
      if (log.validation !== undefined && context.state.epochsSinceBest >= patience)
        context.stop(`early stopping: no improvement for ${patience} epoch${patience === 1 ? '' : 's'}`);
    },
  };
}
