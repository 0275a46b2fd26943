import * as tf from '@tensorflow/tfjs-core';

import {loadOnnxModel} from '../src/onnx';

import {ONNX_FIXTURES, REFUSED_ONNX} from './fixtures/onnx/onnx_fixtures';
import {liveTensors} from './helpers';
import {fromBase64} from './onnx_helpers';

function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A protobuf bytes field: its tag, the length, then `body` (wire type 2). */
function field(id: number, body: ArrayLike<number>): number[] {
  return [...varint(id * 8 + 2), ...varint(body.length), ...Array.from(body)];
}

/**
 * A GraphProto of one If node whose then_branch is such a graph, `depth` deep. Each level's
 * inner graph is its last field, so the bytes are every level's header, outermost first.
 */
function nestedIfs(depth: number): Uint8Array {
  const headers: number[][] = [];
  let inner = 0;
  for (let i = 0; i < depth; i++) {
    const attrHead = [...field(1, text('then_branch')), ...varint(6 * 8 + 2), ...varint(inner)];
    const attrLength = attrHead.length + inner;
    const nodeHead = [...field(4, text('If')), ...varint(5 * 8 + 2), ...varint(attrLength)];
    const nodeLength = nodeHead.length + attrLength;
    const graphHead = [...varint(1 * 8 + 2), ...varint(nodeLength)];
    headers.push([...graphHead, ...nodeHead, ...attrHead]);
    inner = graphHead.length + nodeLength;
  }
  const graph = headers.reverse().flat();
  return Uint8Array.from([...varint(7 * 8 + 2), ...varint(graph.length), ...graph]);
}

const text = (s: string) => Array.from(s, c => c.charCodeAt(0));

/** Expects `source` to be refused with a ValueError matching `message`, nothing leaked. */
async function expectRefused(source: unknown, message: RegExp): Promise<void> {
  const before = liveTensors();
  let caught: unknown = null;
  try {
    const model = await loadOnnxModel(source as Uint8Array);
    model.dispose();
  } catch (e) {
    caught = e;
  }
  expect(caught).withContext('expected a ValueError').toEqual(jasmine.any(Error));
  expect((caught as Error).name).toBe('ValueError');
  expect((caught as Error).message).toMatch(message);
  expect(liveTensors()).toBe(before);
}

/** A tiny linear-congruential generator: the same fuzzed files on every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('loadOnnxModel: refusals', () => {
  REFUSED_ONNX.forEach(f => {
    it(`refuses ${f.name}, naming the node and why`, async () => {
      await expectRefused(fromBase64(f.onnx), new RegExp(f.message));
    });
  });

  it('refuses a source that is not bytes', async () => {
    await expectRefused('model.onnx', /source must be an ArrayBuffer or a Uint8Array/);
    await expectRefused(null, /source must be/);
  });

  it('refuses empty and non-ONNX bytes at once', async () => {
    await expectRefused(new Uint8Array(0), /empty/);
    await expectRefused(
      Uint8Array.from(text('<html>not a model</html>')),
      /not a valid ONNX model/
    );
    await expectRefused(
      new Uint8Array([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      /not a valid ONNX model/
    );
  });

  it('refuses graphs nested 20000 deep without recursing into them', async () => {
    // If -> then_branch -> If -> ... : an attribute's graph is opaque bytes to the parser.
    await expectRefused(nestedIfs(20000), /If.*subgraph/);
  });

  it('refuses 100000 nested protobuf groups as malformed, without a crash', async () => {
    const groups = new Uint8Array(100000).fill(0x0b); // field 1, wire type 3 (start group)
    await expectRefused(groups, /not a valid ONNX model/);
  });

  it('loads or refuses every truncation and byte flip of an export (fuzz)', async () => {
    const bytes = fromBase64(ONNX_FIXTURES.find(f => f.name.startsWith('matchbox'))!.onnx);
    const random = seeded(31);
    const variants: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) variants.push(bytes.slice(0, Math.floor(random() * bytes.length)));
    for (let i = 0; i < 120; i++) {
      const copy = bytes.slice();
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      }
      variants.push(copy);
    }
    const before = liveTensors();
    let loaded = 0,
      refused = 0;
    for (const v of variants) {
      try {
        const model = await loadOnnxModel(v);
        const x = tf.zeros([1, 16, 3]);
        tf.dispose([x, model.predict(x) as tf.Tensor]);
        model.dispose();
        loaded++;
      } catch (e) {
        expect((e as Error).name)
          .withContext((e as Error).message)
          .toBe('ValueError');
        refused++;
      }
    }
    expect(loaded + refused).toBe(variants.length);
    expect(refused).toBeGreaterThan(0);
    expect(liveTensors()).toBe(before);
  });
});
