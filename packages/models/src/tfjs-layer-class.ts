import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * A layer class tfjs-layers registers for deserialization, by class name: the public way to
 * reach classes (BatchNormalization, Conv2D) that its package exports only as factories.
 */
export function tfjsLayerClass(className: string): new (args: object) => tfl.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) throw new Error(`@xclr/models: tfjs-layers registers no layer class "${className}"`);
  return entry[0] as unknown as new (
    args: object,
  ) => tfl.layers.Layer;
}
