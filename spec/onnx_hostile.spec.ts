// The ONNX import tried as a hostile user would: PyTorch exports with the variations people
// write (checked against torch's outputs), odd but valid graphs, and graphs that break ONNX's
// rules (cycles, names written twice, absurd dims and attribute lists), each refused with a
// ValueError naming the node and nothing leaked.
import * as tf from '@tensorflow/tfjs-core';

import {loadOnnxModel} from '../src/onnx';

import {HOSTILE_ONNX} from './fixtures/onnx/hostile_fixtures';
import {expectClose, liveTensors} from './helpers';
import {fromBase64, onnxTolerance, toChannelsLast} from './onnx_helpers';

/** A protobuf varint. */
function varint(v: number): number[] {
  const out: number[] = [];
  for (; v > 127; v = Math.floor(v / 128)) out.push((v & 127) | 128);
  out.push(v);
  return out;
}

/** A length-delimited protobuf field `id` holding `body` (bytes or a string). */
function field(id: number, body: number[] | string): number[] {
  const bytes = typeof body === 'string' ? Array.from(body, c => c.charCodeAt(0)) : body;
  return [...varint(id * 8 + 2), ...varint(bytes.length), ...bytes];
}

/**
 * An ONNX model (opset 13) of `n` unnamed Relu nodes in a chain from a [1, 3, 8] input: far
 * deeper than tfjs builds a model, and each node's layer named after its op.
 */
function reluChain(n: number): Uint8Array {
  const dim = (v: number) => field(1, [...varint(1 * 8), ...varint(v)]);
  const tensorType = field(1, [
    ...varint(1 * 8),
    ...varint(1),
    ...field(2, [...dim(1), ...dim(3), ...dim(8)]),
  ]);
  const graph: number[] = [];
  for (let k = 0; k < n; k++) {
    const node = [
      ...field(1, k === 0 ? 'input' : `r${k}`),
      ...field(2, k === n - 1 ? 'output' : `r${k + 1}`),
      ...field(4, 'Relu'),
    ];
    graph.push(...field(1, node));
  }
  graph.push(...field(11, [...field(1, 'input'), ...field(2, tensorType)]));
  graph.push(...field(12, field(1, 'output')));
  const opset = field(8, [...varint(2 * 8), ...varint(13)]);
  return Uint8Array.from([...varint(1 * 8), ...varint(7), ...field(7, graph), ...opset]);
}

/** Fixtures whose torch output is time-major already ([N, L, K]): compared as they are. */
const TIME_MAJOR = new Set(['lstm_batch_first', 'gru_two_layers']);

describe('loadOnnxModel: hostile use', () => {
  HOSTILE_ONNX.torch.forEach(f => {
    it(`loads ${f.name} and predicts what torch computes`, async () => {
      const before = liveTensors();
      const model = await loadOnnxModel(fromBase64(f.onnx));
      for (const {input, outputs} of f.cases) {
        const [n, c, l] = input.shape;
        const x = tf.tensor3d(toChannelsLast(input.data, input.shape), [n, l, c]);
        const predicted = model.predict(x);
        const ys = Array.isArray(predicted) ? predicted : [predicted];
        expect(ys.length).toBe(outputs.length);
        outputs.forEach((o, k) => {
          const expected =
            o.shape.length === 3 && !TIME_MAJOR.has(f.name)
              ? toChannelsLast(o.data, o.shape)
              : o.data;
          expectClose(ys[k].dataSync(), expected, `${f.name} L=${l} output ${k}`, onnxTolerance());
        });
        tf.dispose([x, ...ys]);
      }
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });

  HOSTILE_ONNX.hostile.forEach(f => {
    it(`refuses ${f.name}, naming the node and why`, async () => {
      const before = liveTensors();
      let caught: Error | null = null;
      try {
        (await loadOnnxModel(fromBase64(f.onnx))).dispose();
      } catch (e) {
        caught = e as Error;
      }
      expect(caught?.name).withContext(String(caught)).toBe('ValueError');
      expect(caught?.message).toMatch(new RegExp(f.message));
      // A hostile file's attribute list or name is not quoted whole.
      expect(caught!.message.length).toBeLessThan(1500);
      expect(liveTensors()).toBe(before);
    });
  });

  it('refuses a chain of 100000 unnamed Relus (deeper than tfjs builds) as a ValueError', async () => {
    // Naming the layers relu, relu_1, ... once took time quadratic in the node count: this
    // graph took far longer than the spec timeout before it reached tfjs's refusal.
    const before = liveTensors();
    let caught: Error | null = null;
    try {
      (await loadOnnxModel(reluChain(100000))).dispose();
    } catch (e) {
      caught = e as Error;
    }
    expect(caught?.name).withContext(String(caught)).toBe('ValueError');
    expect(liveTensors()).toBe(before);
  });

  it('loads a chain of 50 unnamed Relus with distinct layer names', async () => {
    const model = await loadOnnxModel(reluChain(50));
    const names = model.layers.map(l => l.name);
    expect(new Set(names).size).toBe(51);
    model.dispose();
  });

  HOSTILE_ONNX.loadable.forEach(f => {
    it(`loads ${f.name} with one distinct output per graph output`, async () => {
      const before = liveTensors();
      const model = await loadOnnxModel(fromBase64(f.onnx));
      const x = tf.ones([1, 8, 3]);
      const predicted = model.predict(x);
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      // Two outputs of one tensor must still predict (tfjs fails on a repeated output layer).
      for (const y of ys) expect(y.shape[1]).toBe(8);
      tf.dispose([x, ...ys]);
      model.dispose();
      expect(liveTensors()).toBe(before);
    });
  });
});
