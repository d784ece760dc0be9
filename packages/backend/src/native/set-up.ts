import { NativeSessions, setNativeEngine } from './native-sessions.js';
import { loadNativeRuntime } from './onnxruntime.js';

/**
 * Routes the wasm backend's large matmuls and convolutions to onnxruntime-node when `enabled` and
 * it loads. Returns the engine (`onnxruntime-node 1.30.0`, or null) and a note saying where those
 * kernels run and why.
 */
export function setUpNativeEngine(enabled: boolean, threads: number): { engine: string | null; note: string } {
  if (!enabled) {
    setNativeEngine(null)?.dispose();
    return { engine: null, note: 'matmuls and convolutions on XNNPACK (native engine turned off)' };
  }
  const { runtime, reason } = loadNativeRuntime(threads);
  if (runtime == null) {
    setNativeEngine(null)?.dispose();
    return { engine: null, note: `matmuls and convolutions on XNNPACK (${reason})` };
  }
  setNativeEngine(new NativeSessions(runtime))?.dispose();
  return { engine: reason, note: `large matmuls and convolutions on ${reason} (${threads} threads)` };
}
