import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {depthSeparableConv1d} from '../../src';
import {fileSystem} from '../../src/node';
import {liveTensors} from '../helpers';

describe('fileSystem (tfjs-depth-separable-conv1d/node)', () => {
  let folder: string;
  beforeEach(() => folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dsc1d-')));
  afterEach(() => fs.rmSync(folder, {recursive: true, force: true}));

  function model(): tfl.LayersModel {
    return tfl.sequential({layers: [
      depthSeparableConv1d({inputShape: [null, 3], filters: 4, kernelSize: 3, padding: 'causal',
                            biasInitializer: 'glorotUniform'}),
      tfl.layers.dense({units: 2}),
    ]});
  }

  it('saves model.json + weights.bin and loads them back bit for bit, leaking nothing', async () => {
    const m = model();
    const x = tf.randomNormal([2, 9, 3]);
    const before = liveTensors();
    const result = await m.save(fileSystem(folder));
    expect(liveTensors()).toBe(before);
    expect(fs.readdirSync(folder).sort()).toEqual(['model.json', 'weights.bin']);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(fs.statSync(path.join(folder, 'weights.bin')).size);
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const loaded = await tfl.loadLayersModel(fileSystem(folder));
    const [a, b] = [m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b, x]);
    m.dispose();
    loaded.dispose();
  });

  it('loads weights split over several files, as the converter and tfjs-node write them', async () => {
    const m = model();
    await m.save(fileSystem(folder));
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
    const bytes = fs.readFileSync(path.join(folder, 'weights.bin'));
    const cut = 20;
    fs.writeFileSync(path.join(folder, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
    fs.writeFileSync(path.join(folder, 'group1-shard2of2.bin'), bytes.subarray(cut));
    fs.rmSync(path.join(folder, 'weights.bin'));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(json));
    const loaded = await tfl.loadLayersModel(fileSystem(folder));
    const same = loaded.getWeights().every((w, i) => {
      const a = w.dataSync();
      const b = m.getWeights()[i].dataSync();
      return a.length === b.length && a.every((v, j) => v === b[j]);
    });
    expect(same).toBeTrue();
    m.dispose();
    loaded.dispose();
  });

  it('fails clearly for a folder without a model', async () => {
    await expectAsync(tfl.loadLayersModel(fileSystem(path.join(folder, 'nothing'))))
        .toBeRejectedWithError(/ENOENT.*model\.json/);
  });
});
