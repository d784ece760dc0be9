import * as tf from '@tensorflow/tfjs-core';

/**
 * Makes sure tfjs gradients are registered.
 *
 * tfjs-core's Node bundle registers no gradients by itself, so `tf.grad` fails with
 * "gradient function not found for Mean" unless something else registers them. The Node
 * bundle of @tensorflow/tfjs-layers carries tfjs-core's gradient registrations (into the
 * global registry every tfjs-core copy shares), so importing it is enough.
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Mean') != null && tf.getGradient('MatMul') != null) return;
  await import('@tensorflow/tfjs-layers');
  if (tf.getGradient('Mean') == null) {
    throw new Error(
      '@xclr/backend: tfjs gradients are still missing after importing @tensorflow/tfjs-layers; ' +
        'check that @tensorflow/tfjs-core and @tensorflow/tfjs-layers have the same version (npm ls @tensorflow/tfjs-core).',
    );
  }
}
