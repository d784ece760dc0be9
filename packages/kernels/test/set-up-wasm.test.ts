import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

it('starts the wasm backend once: no second start-up beside the configured one, none when asked again', async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  const factory = tf.findBackendFactory('wasm');
  if (factory == null) throw new Error('tfjs-backend-wasm did not register its factory');
  let starts = 0;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => {
    starts++;
    return factory();
  });
  const { setUpWasm } = await import('../src/threads/set-up-wasm.js');
  await setUpWasm({ threads: 1 });
  expect(tf.getBackend()).toBe('wasm');
  expect(starts).toBe(1);
  // Asked again after another backend was active: made active again, not started again.
  await tf.setBackend('cpu');
  const again = await setUpWasm({ threads: 1 });
  expect(tf.getBackend()).toBe('wasm');
  expect(again.notes).toContain('wasm was already initialised');
  expect(starts).toBe(1);
});
