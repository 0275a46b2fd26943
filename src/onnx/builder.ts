// Collects the Keras layers an ONNX graph becomes, then makes the tf.LayersModel by writing a
// Keras functional-model topology (class names and snake_case configs as tensorflowjs_converter
// writes them) and deserializing it through tfjs's class registry, so the model saves and loads
// back like any other.
import {dispose, tensor, Tensor} from '@tensorflow/tfjs-core';
import {LayersModel, models} from '@tensorflow/tfjs-layers';

/** One weight of a layer, in the order the layer's `getWeights()` lists them. */
export interface LayerWeight {
  shape: number[];
  data: Float32Array;
}

/** What a conv layer keeps until the end, so a later Pad, Slice or 1x1 conv can fold in. */
export interface ConvGeometry {
  kernelSize: number;
  stride: number;
  dilation: number;
  pads: [number, number];
}

/** A layer of the model being built. */
export interface LayerSpec {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** Names of the layers whose (first) outputs feed this one. */
  inputs: string[];
  weights: LayerWeight[];
  conv?: ConvGeometry;
}

/** The padding a conv layer's config spells for `pads`: Keras's names where one fits. */
export function convPadding(g: ConvGeometry): string | [number, number] {
  const [left, right] = g.pads;
  const span = (g.kernelSize - 1) * g.dilation;
  if (left === 0 && right === 0) return 'valid';
  if (g.stride === 1 && left === Math.floor(span / 2) && right === span - left) return 'same';
  if (left === span && right === 0) return 'causal';
  return [left, right];
}

/** Accumulates layers with unique names and builds the model from them. */
export class ModelBuilder {
  readonly layers: LayerSpec[] = [];
  private readonly taken = new Set<string>();
  /** The next suffix to try for each base name: a graph of 10^5 unnamed Relus stays linear. */
  private readonly nextSuffix = new Map<string, number>();

  /** A unique Keras layer name made from an ONNX name (letters, digits and underscores). */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    // tfjs keys plain objects by layer name while building: 'toString' or 'constructor' would
    // read Object.prototype's.
    let name = /^[A-Za-z]/.test(clean) && !(clean in Object.prototype) ? clean : `onnx_${clean}`;
    let i = this.nextSuffix.get(clean) ?? 1;
    for (; this.taken.has(name); i++) name = `${clean}_${i}`;
    this.nextSuffix.set(clean, i);
    this.taken.add(name);
    return name;
  }

  /** Adds a layer named after `base` and returns it (its `name` is the one to feed on). */
  add(
    className: string,
    base: string,
    config: Record<string, unknown>,
    inputs: string[],
    weights: LayerWeight[] = [],
    conv?: ConvGeometry
  ): LayerSpec {
    const name = this.uniqueName(base);
    const spec: LayerSpec = {
      className,
      name,
      config: {...config, name, trainable: true},
      inputs,
      weights,
      conv,
    };
    this.layers.push(spec);
    return spec;
  }

  /** The layer named `name`. */
  find(name: string): LayerSpec | undefined {
    return this.layers.find(l => l.name === name);
  }

  /** Drops a layer that a later one folded in (nothing else may read it). */
  remove(name: string): void {
    this.layers.splice(
      this.layers.findIndex(l => l.name === name),
      1
    );
  }

  /** The Keras functional-model topology of the layers, with `inputs` and `outputs` by name. */
  topology(modelName: string, inputs: string[], outputs: string[]): Record<string, unknown> {
    const layers = this.layers.map(l => {
      const config = l.conv ? {...l.config, padding: convPadding(l.conv)} : l.config;
      return {
        class_name: l.className,
        name: l.name,
        config,
        inbound_nodes: l.inputs.length === 0 ? [] : [l.inputs.map(i => [i, 0, 0, {}])],
      };
    });
    return {
      class_name: 'Model',
      config: {
        name: modelName,
        layers,
        input_layers: inputs.map(i => [i, 0, 0]),
        output_layers: outputs.map(o => [o, 0, 0]),
      },
      keras_version: 'tfjs-layers',
      backend: 'tensor_flow.js',
    };
  }

  /** Deserializes the topology through tfjs's registry and sets every layer's weights. */
  async build(modelName: string, inputs: string[], outputs: string[]): Promise<LayersModel> {
    const topology = this.topology(modelName, inputs, outputs);
    const model = await models.modelFromJSON({modelTopology: topology} as never);
    try {
      for (const spec of this.layers) {
        if (spec.weights.length === 0) continue;
        const values: Tensor[] = [];
        try {
          for (const w of spec.weights) values.push(tensor(w.data, w.shape, 'float32'));
          model.getLayer(spec.name).setWeights(values);
        } finally {
          dispose(values);
        }
      }
    } catch (e) {
      model.dispose();
      throw e;
    }
    return model;
  }
}
