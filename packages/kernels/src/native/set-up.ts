import { nativeOffload, setNativeOffload } from '../offload/offload.js';
import { OnnxOffload } from './onnx-offload.js';
import { NativeSessions } from './native-sessions.js';
import { loadNativeRuntime } from './onnxruntime.js';

/**
 * Installs `sessions` as the wasm kernels' native engine (null: XNNPACK only). Returns the
 * sessions it replaces, which the caller may dispose.
 */
export function setNativeEngine(sessions: NativeSessions | null, name = 'onnxruntime-node'): NativeSessions | null {
  const previous = setNativeOffload(sessions ? new OnnxOffload(sessions, name) : null);
  return previous instanceof OnnxOffload ? previous.sessions : null;
}

/** The onnxruntime sessions the wasm kernels use now, or null. */
export function nativeEngine(): NativeSessions | null {
  const active = nativeOffload();
  return active instanceof OnnxOffload ? active.sessions : null;
}

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
  setNativeEngine(new NativeSessions(runtime), reason)?.dispose();
  return { engine: reason, note: `large matmuls and convolutions on ${reason} (${threads} threads)` };
}
