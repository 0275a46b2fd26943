// An exported stream through the Node file helpers: writeStreamFiles, readStreamFiles, then
// loadStream runs it as the stream does; damaged files are ValueErrors naming the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {createStream, depthSeparableConv1d} from '../../src';
import {readStreamFiles, writeStreamFiles} from '../../src/node';
import {loadStream} from '../../src/runtime';
import {liveTensors} from '../helpers';
import {randomArray, seededRandom} from '../reference';

describe('stream runtime: Node files (writeStreamFiles, readStreamFiles)', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-files-'));
  });
  afterEach(() => fs.rmSync(folder, {recursive: true, force: true}));

  function causalModel(): tfl.LayersModel {
    const input = tfl.input({shape: [null, 2]});
    const conv = depthSeparableConv1d({
      filters: 3,
      kernelSize: 3,
      padding: 'causal',
      depthwiseInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 1}),
      pointwiseInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 2}),
    }).apply(input) as tfl.SymbolicTensor;
    const gru = tfl.layers
      .gru({
        units: 2,
        returnSequences: true,
        recurrentInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 3}),
      })
      .apply(conv) as tfl.SymbolicTensor;
    return tfl.model({inputs: input, outputs: gru});
  }

  it('round trip mid-signal: the loaded runtime continues as the stream does', async () => {
    const model = causalModel();
    const stream = createStream(model, {batchSize: 2});
    const x = Float32Array.from(randomArray(2 * 10 * 2, seededRandom(5)));
    const chunk = (from: number, n: number) => {
      const out = new Float32Array(2 * n * 2);
      for (let b = 0; b < 2; b++)
        out.set(x.subarray((b * 10 + from) * 2, (b * 10 + from + n) * 2), b * n * 2);
      return out;
    };
    stream.pushArray(chunk(0, 4));
    const before = liveTensors();
    await writeStreamFiles(stream.export(), folder);
    expect(fs.readdirSync(folder).sort()).toEqual(['stream.json', 'stream.weights.bin']);
    const read = await readStreamFiles(folder);
    const runtime = loadStream(read.description, read.weights, read.state);
    // Node 20 has WebAssembly SIMD: the runtime's products run there, as the stream's do.
    expect(runtime.simd).toBeTrue();
    expect(liveTensors()).toBe(before);
    for (const [from, n] of [
      [4, 1],
      [5, 3],
      [8, 2],
    ]) {
      const expected = stream.pushArray(chunk(from, n));
      const actual = runtime.pushArray(chunk(from, n));
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
    expect(tf.memory().numTensors).toBe(before);
    stream.dispose();
    model.dispose();
  });

  it('a missing or damaged file: a ValueError naming it', async () => {
    await expectAsync(readStreamFiles(folder)).toBeRejectedWithError(/stream\.json/);
    fs.writeFileSync(path.join(folder, 'stream.json'), '{not json');
    fs.writeFileSync(path.join(folder, 'stream.weights.bin'), new Uint8Array(8));
    await expectAsync(readStreamFiles(folder)).toBeRejectedWithError(/stream\.json is not JSON/);
  });
});
