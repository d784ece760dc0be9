// The start of every webgpu-lane test file: activate the backend, or say once why the lane skips.

/**
 * Runs `activate` (e.g. `() => useFastestBackend({ backend: 'webgpu' })`, taken from the caller
 * so this package needs no @xclr/backend) and resolves to null, or to the reason webgpu cannot
 * run here, printed once as `<lane> skipped: <reason>`.
 * @param {() => Promise<unknown>} activate
 * @param {string} [lane]
 * @returns {Promise<string | null>}
 */
export async function webgpuSkipReason(activate, lane = 'webgpu lane') {
  try {
    await activate();
    return null;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.warn(`${lane} skipped: ${reason}`);
    return reason;
  }
}
