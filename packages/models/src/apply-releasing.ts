import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

type Kwargs = Record<string, unknown>;

/** The parts of a tfjs-layers graph node and symbolic tensor this reads. */
interface GraphNode {
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
}

/** tfjs-layers' layers that start a mask (the layers after them only pass one on). */
const makesMask = (l: tfl.layers.Layer) =>
  l.getClassName() === 'Masking' || (l as unknown as { maskZero?: boolean }).maskZero === true;

/**
 * `model.apply(x, kwargs)` for a functional model with one input and one output in which every
 * layer runs once, disposing each layer's output as soon as the last layer that reads it has run,
 * in training too. tfjs-layers frees intermediate outputs so only in inference: in training every
 * layer's output lives until the model's call returns, so the forward pass peaks at all of them.
 * Freeing them is safe while gradients are recorded, because each op keeps its own references to
 * what its gradient needs. Other models (shared layers, several inputs or outputs, a layer that
 * makes a mask) run through `model.apply` unchanged.
 */
export function applyReleasing(model: tfl.LayersModel, x: tf.Tensor, kwargs: Kwargs = {}): tf.Tensor {
  const nodes = model.layers.map((l) => (l.inboundNodes.length === 1 ? (l.inboundNodes[0] as unknown as GraphNode) : null));
  const simple =
    model.inputs.length === 1 && model.outputs.length === 1 && nodes.every((n) => n != null) && !model.layers.some(makesMask);
  if (!simple) return model.apply(x, kwargs) as tf.Tensor;
  const inputId = model.inputs[0].id;
  const outputId = model.outputs[0].id;
  // How many layers still have to read each symbolic tensor.
  const readers = new Map<number, number>();
  for (const node of nodes as GraphNode[]) for (const t of node.inputTensors) readers.set(t.id, (readers.get(t.id) ?? 0) + 1);
  const values = new Map<number, tf.Tensor>([[inputId, x]]);
  // tfjs-layers keeps `layers` in topological order (inputs first).
  model.layers.forEach((layer, i) => {
    const node = nodes[i] as GraphNode;
    if (layer.getClassName() === 'InputLayer') return;
    const inputs = node.inputTensors.map((t) => {
      const v = values.get(t.id);
      if (v == null) throw new Error(`applyReleasing: layer ${layer.name} reads a tensor no earlier layer made`);
      return v;
    });
    const outputs = tf.tidy(() => layer.apply(inputs.length === 1 ? inputs[0] : inputs, kwargs) as tf.Tensor | tf.Tensor[]);
    const list = Array.isArray(outputs) ? outputs : [outputs];
    node.outputTensors.forEach((t, k) => {
      values.set(t.id, list[k]);
    });
    for (const t of node.inputTensors) {
      const left = (readers.get(t.id) ?? 0) - 1;
      readers.set(t.id, left);
      if (left > 0 || t.id === inputId || t.id === outputId) continue;
      const v = values.get(t.id) as tf.Tensor;
      values.delete(t.id);
      // A layer may return its input as its output (an identity): then it lives on under that name.
      // The caller's input is the caller's.
      if (v !== x && ![...values.values()].includes(v)) v.dispose();
    }
  });
  const y = values.get(outputId);
  if (y == null) throw new Error(`applyReleasing: no layer of ${model.name} made its output`);
  return y;
}
