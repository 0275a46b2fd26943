// The stream runtime as a user ships it (Node only): src/runtime.ts bundled by esbuild holds
// no tfjs, and runs in a plain Node process where no tfjs can be resolved, from the files
// writeStreamFiles wrote, giving the Stream's pushes bit for bit; readStreamFiles refuses
// missing, oversized and damaged files with a ValueError naming the file.
import * as tfl from '@tensorflow/tfjs-layers';
import {execFileSync, spawnSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {createStream, depthSeparableConv1d, GRU} from '../../src';
import {readStreamFiles, writeStreamFiles} from '../../src/node';
import {loadStream} from '../../src/runtime';
import {expectThrowsMatching} from '../helpers';
import {randomArray, seededRandom} from '../reference';

const ROOT = path.resolve(__dirname, '..', '..');
const C = 3;

/** A causal separable conv, a GRU and a Dense: a model of every program path the worklet uses. */
function model(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.randomUniform({minval: -0.7, maxval: 0.7, seed});
  const input = tfl.input({shape: [null, C]});
  const conv = depthSeparableConv1d({
    filters: 4,
    kernelSize: 3,
    padding: 'causal',
    activation: 'relu',
    depthwiseInitializer: init(1),
    pointwiseInitializer: init(2),
  }).apply(input) as tfl.SymbolicTensor;
  const gru = new GRU({
    units: 3,
    returnSequences: true,
    kernelInitializer: init(3),
    recurrentInitializer: init(4),
  }).apply(conv) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({units: 2, kernelInitializer: init(5)}).apply(gru);
  return tfl.model({inputs: input, outputs: out as tfl.SymbolicTensor});
}

/**
 * The runtime entry bundled for Node by esbuild's command (its JS API does not survive being
 * bundled into the spec), as CommonJS text, and the files it was made of.
 */
function bundle(folder: string): {text: string; inputs: string[]} {
  const out = path.join(folder, 'bundle.cjs');
  const meta = path.join(folder, 'bundle.meta.json');
  execFileSync(path.join(ROOT, 'node_modules/.bin/esbuild'), [
    path.join(ROOT, 'src/runtime.ts'),
    '--bundle',
    '--platform=node',
    '--format=cjs',
    `--outfile=${out}`,
    `--metafile=${meta}`,
    '--log-level=warning',
  ]);
  const inputs = Object.keys(JSON.parse(fs.readFileSync(meta, 'utf8')).inputs);
  return {text: fs.readFileSync(out, 'utf8'), inputs};
}

/**
 * Runs `script` (CommonJS) with node in `folder`, outside the repository (no node_modules to
 * resolve tfjs from); its stdout, parsed as JSON.
 */
function runNode(folder: string, script: string): unknown {
  fs.writeFileSync(path.join(folder, 'main.cjs'), script);
  const run = spawnSync(process.execPath, ['main.cjs'], {
    cwd: folder,
    env: {PATH: process.env.PATH ?? '', NODE_PATH: ''},
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`node main.cjs failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('stream runtime bundle (Node)', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-runtime-'));
  });
  afterEach(() => fs.rmSync(folder, {recursive: true, force: true}));

  it('imports no tfjs: the bundle names none and is made of no tfjs file', () => {
    const {text, inputs} = bundle(folder);
    expect(inputs.filter(f => f.includes('@tensorflow') || f.includes('node_modules'))).toEqual([]);
    expect(text).not.toContain('@tensorflow');
  });

  it('runs in a plain Node process from the files writeStreamFiles wrote, as the Stream', async () => {
    const m = model();
    const stream = createStream(m, {batchSize: 2});
    const x = Float32Array.from(randomArray(2 * 9 * C, seededRandom(70)));
    x[4] = Number.NaN;
    stream.pushArray(x.subarray(0, 2 * 2 * C));
    await writeStreamFiles(stream.export(), path.join(folder, 'model'));
    const rest = x.subarray(2 * 2 * C);
    const expected = stream.pushArray(rest);
    const state = stream.getState();
    fs.writeFileSync(path.join(folder, 'runtime.cjs'), bundle(folder).text);
    fs.writeFileSync(
      path.join(folder, 'input.bin'),
      new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength)
    );
    const out = runNode(
      folder,
      `const fs = require('fs');
      let tfjs = 'absent';
      try { require.resolve('@tensorflow/tfjs-core'); tfjs = 'present'; } catch {}
      const {loadStream} = require('./runtime.cjs');
      const {description, state} = JSON.parse(fs.readFileSync('model/stream.json', 'utf8'));
      const weights = fs.readFileSync('model/stream.weights.bin');
      const stream = loadStream(JSON.stringify(description), weights, state);
      const input = fs.readFileSync('input.bin');
      const y = stream.pushArray(new Float32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength)));
      console.log(JSON.stringify({tfjs, y: Array.from(y, v => (Number.isNaN(v) ? 'NaN' : v)), state: stream.getState()}));`
    ) as {tfjs: string; y: (number | 'NaN')[]; state: unknown};
    expect(out.tfjs).toBe('absent');
    expect(out.y).toEqual(Array.from(expected, v => (Number.isNaN(v) ? 'NaN' : v)));
    expect(JSON.stringify(out.state)).toBe(JSON.stringify(state));
    stream.dispose();
    m.dispose();
  });

  it('keeps the state without atob and btoa, which an AudioWorklet scope lacks', async () => {
    const m = model();
    const stream = createStream(m);
    await writeStreamFiles(stream.export(), path.join(folder, 'model'));
    fs.writeFileSync(path.join(folder, 'runtime.cjs'), bundle(folder).text);
    const out = runNode(
      folder,
      `delete globalThis.atob;
      delete globalThis.btoa;
      const fs = require('fs');
      const {loadStream} = require('./runtime.cjs');
      const {description, state} = JSON.parse(fs.readFileSync('model/stream.json', 'utf8'));
      const weights = fs.readFileSync('model/stream.weights.bin');
      const result = {};
      try {
        const stream = loadStream(description, weights, state);
        stream.pushArray(new Float32Array(3 * 4));
        const before = JSON.stringify(stream.getState());
        stream.setState(JSON.parse(before));
        result.ok = JSON.stringify(stream.getState()) === before;
        result.simd = stream.simd;
      } catch (e) {
        result.error = e.name + ': ' + e.message;
      }
      console.log(JSON.stringify(result));`
    ) as {ok?: boolean; simd?: boolean; error?: string};
    stream.dispose();
    m.dispose();
    expect(out.error).toBeUndefined();
    expect(out.ok).toBeTrue();
    // The SIMD module decodes without atob too (else the JS loops would run, silently).
    expect(out.simd).toBeTrue();
  });

  it('readStreamFiles: missing, oversized and damaged files are ValueErrors naming the file', async () => {
    const m = model();
    const stream = createStream(m);
    const exported = stream.export();
    stream.dispose();
    m.dispose();
    const files = path.join(folder, 'model');
    const json = path.join(files, 'stream.json');
    const bin = path.join(files, 'stream.weights.bin');
    const refused = async (pattern: RegExp) => {
      let caught: Error | null = null;
      await readStreamFiles(files).catch(e => (caught = e as Error));
      expect(caught).withContext(String(pattern)).not.toBeNull();
      expect(caught!.name).toBe('ValueError');
      expect(caught!.message).toMatch(pattern);
    };
    await refused(/readStreamFiles: cannot read .*stream\.json/);
    await writeStreamFiles(exported, files);
    // What was written reads back and loads.
    const back = await readStreamFiles(files);
    expect(() => loadStream(back.description, back.weights, back.state)).not.toThrow();
    fs.rmSync(bin);
    await refused(/readStreamFiles: cannot read .*stream\.weights\.bin/);
    await writeStreamFiles(exported, files);
    fs.writeFileSync(json, '{"description": ');
    await refused(/readStreamFiles: .*stream\.json is not JSON/);
    // A sparse file past the limit is refused by its size, without being read.
    fs.truncateSync(json, 2 ** 27 + 1);
    await refused(/readStreamFiles: .*stream\.json is \d+ bytes, over/);
    // JSON that is not an export reads, and loadStream refuses it.
    fs.writeFileSync(json, 'null');
    const empty = await readStreamFiles(files);
    const e = expectThrowsMatching(
      () => loadStream(empty.description, empty.weights),
      /loadStream: /
    );
    expect(e?.name).toBe('ValueError');
  });
});
