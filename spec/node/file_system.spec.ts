import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {execFileSync, spawn} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {depthSeparableConv1d} from '../../src';
import {fileSystem} from '../../src/node';
import {saveOps} from '../../src/node/atomic_save';
import {liveTensors} from '../helpers';

const WEIGHTS_NAME = /^weights-[0-9a-f]{16}\.bin$/;

function model(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      depthSeparableConv1d({
        inputShape: [null, 3],
        filters: 4,
        kernelSize: 3,
        padding: 'causal',
        biasInitializer: 'glorotUniform',
      }),
      tfl.layers.dense({units: 2}),
    ],
  });
}

/** Every weight of a model, flattened, to compare two models bit for bit. */
function weightsOf(m: tfl.LayersModel): number[] {
  return m.getWeights().flatMap(w => Array.from(w.dataSync()));
}

function readJson(folder: string): {weightsManifest: {paths: string[]; weights: unknown[]}[]} {
  return JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
}

function writeJson(folder: string, json: unknown): void {
  fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify(json));
}

/** The weights file the folder's model.json names. */
function weightsFile(folder: string): string {
  return path.join(folder, readJson(folder).weightsManifest[0].paths[0]);
}

/** The handler's own load and save, without tfjs-layers (both are optional in tfjs's IOHandler type). */
function loadArtifacts(folder: string): Promise<tf.io.ModelArtifacts> {
  return fileSystem(folder).load!();
}

function saveArtifacts(folder: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  return fileSystem(folder).save!(artifacts);
}

/** The folder's entries with their bytes, to show that a failed save changed nothing. */
function snapshot(folder: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(folder)
      .sort()
      .map(name => [name, fs.readFileSync(path.join(folder, name)).toString('base64')])
  );
}

describe('fileSystem (tfjs-depth-separable-conv1d/node)', () => {
  let root: string;
  let folder: string;
  beforeEach(() => {
    // The model folder sits inside a scratch root, so that files "outside the folder" exist.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dsc1d-'));
    folder = path.join(root, 'model');
    fs.mkdirSync(folder);
  });
  afterEach(() => fs.rmSync(root, {recursive: true, force: true}));

  it('saves model.json + one weights file and loads them back bit for bit, leaking nothing', async () => {
    const start = liveTensors();
    const m = model();
    const x = tf.randomNormal([2, 9, 3]);
    const before = liveTensors();
    const result = await m.save(fileSystem(folder));
    expect(liveTensors()).toBe(before);
    const names = fs.readdirSync(folder).sort();
    expect(names.length).toBe(2);
    expect(names[0]).toBe('model.json');
    expect(names[1]).toMatch(WEIGHTS_NAME);
    const json = readJson(folder);
    expect((json as unknown as {format: string}).format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual([names[1]]);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(
      fs.statSync(path.join(folder, names[1])).size
    );
    const loaded = await tfl.loadLayersModel(fileSystem(folder));
    const [a, b] = [m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b, x]);
    m.dispose();
    loaded.dispose();
    expect(liveTensors()).toBe(start);
  });

  it('loads weights split over several files, as the converter and tfjs-node write them', async () => {
    const m = model();
    await m.save(fileSystem(folder));
    const json = readJson(folder);
    const bytes = fs.readFileSync(weightsFile(folder));
    const cut = 20;
    fs.writeFileSync(path.join(folder, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
    fs.writeFileSync(path.join(folder, 'group1-shard2of2.bin'), bytes.subarray(cut));
    fs.rmSync(weightsFile(folder));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    writeJson(folder, json);
    const loaded = await tfl.loadLayersModel(fileSystem(folder));
    expect(weightsOf(loaded)).toEqual(weightsOf(m));
    m.dispose();
    loaded.dispose();
  });

  it('fails clearly for a folder without a model', async () => {
    await expectAsync(
      tfl.loadLayersModel(fileSystem(path.join(folder, 'nothing')))
    ).toBeRejectedWithError(/ENOENT.*model\.json/);
    await expectAsync(loadArtifacts(folder)).toBeRejectedWithError(/ENOENT.*model\.json/);
  });

  it("a re-save replaces the weights file: the folder keeps one model, tfjs-node's weights.bin included", async () => {
    const m = model();
    await m.save(fileSystem(folder));
    // The layout tfjs-node and earlier versions write: weights.bin.
    const json = readJson(folder);
    fs.renameSync(weightsFile(folder), path.join(folder, 'weights.bin'));
    json.weightsManifest[0].paths = ['weights.bin'];
    writeJson(folder, json);
    const other = model();
    await other.save(fileSystem(folder));
    await other.save(fileSystem(folder));
    const names = fs.readdirSync(folder).sort();
    expect(names.length).toBe(2);
    expect(names[1]).toMatch(WEIGHTS_NAME);
    const loaded = await tfl.loadLayersModel(fileSystem(folder));
    expect(weightsOf(loaded)).toEqual(weightsOf(other));
    [m, other, loaded].forEach(x => x.dispose());
  });

  describe('load reads only regular files inside the folder', () => {
    let m: tfl.LayersModel;
    let size: number;
    /** The files load opened, to show that a refused entry was never opened. */
    let opened: string[];
    /** Run just before load opens a file, to swap it after the checks. */
    let beforeOpen: (file: string) => void;
    beforeEach(async () => {
      m = model();
      await m.save(fileSystem(folder));
      size = fs.statSync(weightsFile(folder)).size;
      // A file outside the folder of just the right size: loading it would give no other error.
      fs.writeFileSync(path.join(root, 'secret.bin'), Buffer.alloc(size, 7));
      fs.mkdirSync(path.join(root, 'elsewhere'));
      const open = fs.promises.open;
      beforeOpen = () => undefined;
      spyOn(fs.promises, 'open').and.callFake(((file: fs.PathLike, ...rest: unknown[]) => {
        opened.push(String(file));
        beforeOpen(String(file));
        return (open as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
      }) as typeof fs.promises.open);
    });
    afterEach(() => m.dispose());

    function pointWeightsAt(entry: string): void {
      const json = readJson(folder);
      json.weightsManifest[0].paths = [entry];
      writeJson(folder, json);
    }

    /**
     * Loads, expecting a ValueError that names the entry and the folder, with no tensor left and
     * no file but model.json opened (so not a byte of the entry was read).
     */
    async function expectRefused(entry: string, why: RegExp): Promise<void> {
      const before = liveTensors();
      opened = [];
      let error: Error | undefined;
      try {
        (await tfl.loadLayersModel(fileSystem(folder))).dispose();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.name).withContext(`${entry}: ${error?.message}`).toBe('ValueError');
      expect(error?.message).toContain(`weightsManifest[0].paths[0] '${entry}'`);
      expect(error?.message).toContain(folder);
      expect(error?.message).toMatch(why);
      expect(opened.map(p => path.basename(p))).toEqual(['model.json']);
      expect(liveTensors()).toBe(before);
    }

    it('a path with .. that leaves the folder', async () => {
      pointWeightsAt('../secret.bin');
      await expectRefused('../secret.bin', /leaves the folder/);
      pointWeightsAt('../../../../../../../../etc/passwd');
      await expectRefused('../../../../../../../../etc/passwd', /leaves the folder/);
    });

    it('an absolute path, /proc/self/environ or one inside the folder', async () => {
      pointWeightsAt('/proc/self/environ');
      await expectRefused('/proc/self/environ', /absolute path/);
      const inside = weightsFile(folder);
      pointWeightsAt(inside);
      await expectRefused(inside, /absolute path/);
    });

    it('/dev/zero by a relative path, at once and without growing the process', async () => {
      const rss = process.memoryUsage().rss;
      const start = Date.now();
      pointWeightsAt('../../../../../../../../dev/zero');
      await expectRefused('../../../../../../../../dev/zero', /leaves the folder/);
      expect(Date.now() - start).toBeLessThan(5000);
      expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
    });

    it('a FIFO in the folder, without blocking', async () => {
      execFileSync('mkfifo', [path.join(folder, 'pipe.bin')]);
      pointWeightsAt('pipe.bin');
      await expectRefused('pipe.bin', /is a FIFO, not a regular file/);
    });

    it('a directory, and a symlink to a device', async () => {
      fs.mkdirSync(path.join(folder, 'dir.bin'));
      pointWeightsAt('dir.bin');
      await expectRefused('dir.bin', /is a directory/);
      fs.symlinkSync('/dev/null', path.join(folder, 'null.bin'));
      pointWeightsAt('null.bin');
      await expectRefused('null.bin', /leaves the folder/);
    });

    it('a symlink in the folder to a file outside it, and a path through a symlinked folder', async () => {
      fs.symlinkSync(path.join(root, 'secret.bin'), path.join(folder, 'link.bin'));
      pointWeightsAt('link.bin');
      await expectRefused('link.bin', /leaves the folder \(it resolves to .*secret\.bin\)/);
      fs.writeFileSync(path.join(root, 'elsewhere', 'secret.bin'), Buffer.alloc(size, 7));
      fs.symlinkSync(path.join(root, 'elsewhere'), path.join(folder, 'away'));
      pointWeightsAt('away/secret.bin');
      await expectRefused('away/secret.bin', /leaves the folder/);
    });

    it("takes `..` as written: `away/..` is the folder, not the parent of the link's target", async () => {
      // The OS would resolve away/.. through the link, to the root and its secret.bin (all 7s).
      fs.symlinkSync(path.join(root, 'elsewhere'), path.join(folder, 'away'));
      fs.renameSync(weightsFile(folder), path.join(folder, 'secret.bin'));
      pointWeightsAt('away/../secret.bin');
      const loaded = await tfl.loadLayersModel(fileSystem(folder));
      expect(weightsOf(loaded)).toEqual(weightsOf(m));
      loaded.dispose();
    });

    it("a file larger than the manifest's weights need, even one of 8 GB, before reading it", async () => {
      fs.appendFileSync(weightsFile(folder), Buffer.alloc(1));
      await expectRefused(
        path.basename(weightsFile(folder)),
        new RegExp(`holds ${size + 1} bytes, more than the ${size}`)
      );
      fs.truncateSync(weightsFile(folder), 8 * 2 ** 30);
      const rss = process.memoryUsage().rss;
      await expectRefused(path.basename(weightsFile(folder)), /holds 8589934592 bytes/);
      expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
    });

    it('a weights file swapped after the checks, before the open, is refused without blocking', async () => {
      const target = fs.realpathSync(weightsFile(folder));
      const swaps: [string, () => void, RegExp][] = [
        [
          'a FIFO',
          () => execFileSync('mkfifo', [target]),
          /was replaced while it was being opened/,
        ],
        [
          'a symlink out',
          () => fs.symlinkSync(path.join(root, 'secret.bin'), target),
          /was replaced by a symlink while it was being opened/,
        ],
      ];
      const original = fs.readFileSync(target);
      for (const [what, swap, message] of swaps) {
        beforeOpen = file => {
          if (file !== target) return;
          fs.rmSync(target);
          swap();
        };
        const before = liveTensors();
        await expectAsync(tfl.loadLayersModel(fileSystem(folder)))
          .withContext(what)
          .toBeRejectedWithError(message);
        expect(liveTensors()).toBe(before);
        beforeOpen = () => undefined;
        fs.rmSync(target);
        fs.writeFileSync(target, original);
      }
    });

    it('files that together hold fewer bytes than the weights need', async () => {
      fs.truncateSync(weightsFile(folder), size - 4);
      await expectAsync(tfl.loadLayersModel(fileSystem(folder))).toBeRejectedWithError(
        new RegExp(`hold ${size - 4} bytes, but its weights need ${size}`)
      );
    });

    it('model.json itself: a symlink out of the folder, a FIFO, or a runaway size', async () => {
      const json = fs.readFileSync(path.join(folder, 'model.json'));
      fs.writeFileSync(path.join(root, 'outside.json'), json);
      fs.rmSync(path.join(folder, 'model.json'));
      fs.symlinkSync(path.join(root, 'outside.json'), path.join(folder, 'model.json'));
      await expectAsync(loadArtifacts(folder)).toBeRejectedWithError(
        /model\.json 'model\.json' leaves the folder/
      );
      fs.rmSync(path.join(folder, 'model.json'));
      execFileSync('mkfifo', [path.join(folder, 'model.json')]);
      await expectAsync(loadArtifacts(folder)).toBeRejectedWithError(
        /model\.json 'model\.json' is a FIFO/
      );
      fs.rmSync(path.join(folder, 'model.json'));
      fs.writeFileSync(path.join(folder, 'model.json'), json);
      fs.truncateSync(path.join(folder, 'model.json'), 2 ** 33);
      await expectAsync(loadArtifacts(folder)).toBeRejectedWithError(
        /model\.json holds 8589934592 bytes/
      );
    });

    it('but follows symlinks that stay inside it (a symlinked cache, a symlinked folder)', async () => {
      fs.mkdirSync(path.join(folder, 'cache'));
      fs.renameSync(weightsFile(folder), path.join(folder, 'cache', 'blob'));
      fs.symlinkSync(path.join('cache', 'blob'), path.join(folder, 'link.bin'));
      pointWeightsAt('link.bin');
      fs.renameSync(path.join(folder, 'model.json'), path.join(folder, 'cache', 'model.json'));
      fs.symlinkSync(path.join('cache', 'model.json'), path.join(folder, 'model.json'));
      fs.symlinkSync(folder, path.join(root, 'alias'));
      for (const where of [folder, path.join(root, 'alias')]) {
        const loaded = await tfl.loadLayersModel(fileSystem(where));
        expect(weightsOf(loaded)).toEqual(weightsOf(m));
        loaded.dispose();
      }
    });
  });

  describe('a malformed model.json is a ValueError naming the file and the entry', () => {
    const spec = {name: 'w', shape: [2], dtype: 'float32'};
    const topology = {class_name: 'Sequential', config: {}};
    const cases: [string, string, RegExp][] = [
      ['not JSON', '{"modelTopology": ', /model\.json is not valid JSON/],
      ['null', 'null', /model\.json must hold a JSON object, but holds null/],
      ['an array', '[]', /model\.json must hold a JSON object, but holds \[\]/],
      ['a number', '5', /must hold a JSON object, but holds 5/],
      [
        'no topology',
        JSON.stringify({weightsManifest: []}),
        /model\.json: modelTopology must be an object.*undefined/,
      ],
      [
        'weightsManifest: 5',
        JSON.stringify({modelTopology: topology, weightsManifest: 5}),
        /model\.json: weightsManifest must be an array of \{paths, weights\} groups, but got 5/,
      ],
      [
        'a group that is a number',
        JSON.stringify({modelTopology: topology, weightsManifest: [5]}),
        /model\.json: weightsManifest\[0\] must be an object \{paths, weights\}, but got 5/,
      ],
      [
        'a group without paths',
        JSON.stringify({modelTopology: topology, weightsManifest: [{weights: []}]}),
        /model\.json: weightsManifest\[0\]\.paths must be an array of file names, but got undefined/,
      ],
      [
        'paths a string',
        JSON.stringify({modelTopology: topology, weightsManifest: [{paths: 'w.bin', weights: []}]}),
        /weightsManifest\[0\]\.paths must be an array of file names, but got 'w\.bin'/,
      ],
      [
        'a path that is not a string',
        JSON.stringify({
          modelTopology: topology,
          weightsManifest: [{paths: ['a.bin', 7], weights: [spec]}],
        }),
        /weightsManifest\[0\]\.paths\[1\] must be a non-empty file name, but got 7/,
      ],
      [
        'a group without weights',
        JSON.stringify({modelTopology: topology, weightsManifest: [{paths: ['w.bin']}]}),
        /weightsManifest\[0\]\.weights must be an array of \{name, shape, dtype\}, but got undefined/,
      ],
      [
        'a weight without a name',
        JSON.stringify({
          modelTopology: topology,
          weightsManifest: [{paths: [], weights: [{shape: [1]}]}],
        }),
        /weightsManifest\[0\]\.weights\[0\] must be an object with a string name/,
      ],
      [
        'a negative shape',
        JSON.stringify({
          modelTopology: topology,
          weightsManifest: [{paths: [], weights: [spec, {...spec, name: 'v', shape: [-2]}]}],
        }),
        /weightsManifest\[0\]\.weights\[1\] \('v'\)\.shape must be an array of whole numbers >= 0, but got \[-2\]/,
      ],
      [
        'a string weight',
        JSON.stringify({
          modelTopology: topology,
          weightsManifest: [{paths: [], weights: [{...spec, dtype: 'string'}]}],
        }),
        /weightsManifest\[0\]\.weights\[0\] \('w'\)\.dtype must be one of float32, int32, bool, complex64, but got 'string'/,
      ],
      [
        'an unknown quantization',
        JSON.stringify({
          modelTopology: topology,
          weightsManifest: [
            {paths: [], weights: [{...spec, quantization: {dtype: 'constructor'}}]},
          ],
        }),
        /\('w'\)\.quantization\.dtype must be one of uint8, uint16, float16, but got 'constructor'/,
      ],
    ];
    for (const [what, text, message] of cases) {
      it(what, async () => {
        fs.writeFileSync(path.join(folder, 'model.json'), text);
        const before = liveTensors();
        let error: Error | undefined;
        await tfl.loadLayersModel(fileSystem(folder)).catch(e => (error = e));
        expect(error?.name).withContext(String(error)).toBe('ValueError');
        expect(error?.message).toMatch(message);
        expect(error?.message).toContain(`fileSystem('${folder}'): model.json`);
        expect(liveTensors()).toBe(before);
      });
    }
  });

  describe('save is atomic', () => {
    // Each step of a save's forward path, and which call of it (weights first, model.json second).
    const steps: [keyof typeof saveOps, number][] = [
      ['create', 1],
      ['write', 1],
      ['flush', 1],
      ['create', 2],
      ['write', 2],
      ['flush', 2],
      ['rename', 1],
      ['rename', 2],
    ];
    for (const [step, call] of steps) {
      it(`a save whose ${step} #${call} fails (a full disk) leaves the old model and no other file`, async () => {
        const old = model();
        await old.save(fileSystem(folder));
        const before = snapshot(folder);
        const real = saveOps[step] as (...args: unknown[]) => Promise<unknown>;
        let calls = 0;
        spyOn(saveOps, step).and.callFake(((...args: unknown[]) => {
          if (++calls === call) {
            return Promise.reject(
              Object.assign(new Error('ENOSPC: no space left on device'), {code: 'ENOSPC'})
            );
          }
          return real(...args);
        }) as never);
        const other = model();
        const tensors = liveTensors();
        await expectAsync(other.save(fileSystem(folder))).toBeRejectedWithError(/ENOSPC/);
        expect(calls).toBe(call);
        expect(liveTensors()).toBe(tensors);
        expect(snapshot(folder)).toEqual(before);
        const loaded = await tfl.loadLayersModel(fileSystem(folder));
        expect(weightsOf(loaded)).toEqual(weightsOf(old));
        [old, other, loaded].forEach(x => x.dispose());
      });
    }

    it('never writes through a symlink: a model.json or weights.bin linking out of the folder is replaced', async () => {
      const m = model();
      await m.save(fileSystem(folder));
      // A model.json linking out of the folder, naming a weights.bin that links out too.
      const json = readJson(folder);
      json.weightsManifest[0].paths = ['weights.bin'];
      const preciousJson = JSON.stringify(json);
      fs.writeFileSync(path.join(root, 'precious.json'), preciousJson);
      fs.writeFileSync(path.join(root, 'precious.bin'), 'precious');
      fs.symlinkSync(path.join(root, 'precious.bin'), path.join(folder, 'weights.bin'));
      fs.rmSync(path.join(folder, 'model.json'));
      fs.symlinkSync(path.join(root, 'precious.json'), path.join(folder, 'model.json'));
      const other = model();
      await other.save(fileSystem(folder));
      expect(fs.readFileSync(path.join(root, 'precious.json'), 'utf8')).toBe(preciousJson);
      expect(fs.readFileSync(path.join(root, 'precious.bin'), 'utf8')).toBe('precious');
      expect(fs.lstatSync(path.join(folder, 'model.json')).isFile()).toBeTrue();
      expect(fs.readdirSync(root).sort()).toEqual(['model', 'precious.bin', 'precious.json']);
      // And a folder whose own model.json names the linked weights.bin: the link goes, not its target.
      await other.save(fileSystem(folder));
      const legacy = readJson(folder);
      fs.rmSync(weightsFile(folder));
      legacy.weightsManifest[0].paths = ['weights.bin'];
      writeJson(folder, legacy);
      await other.save(fileSystem(folder));
      expect(fs.readFileSync(path.join(root, 'precious.bin'), 'utf8')).toBe('precious');
      expect(fs.readdirSync(folder).filter(n => !WEIGHTS_NAME.test(n))).toEqual(['model.json']);
      const loaded = await tfl.loadLayersModel(fileSystem(folder));
      expect(weightsOf(loaded)).toEqual(weightsOf(other));
      [m, other, loaded].forEach(x => x.dispose());
    });

    /** Artifacts of generation `g`: every weight equals g, and the weight count alternates, so a mix shows. */
    function generation(g: number): tf.io.ModelArtifacts {
      const size = g % 2 === 1 ? 6 : 18;
      return {
        modelTopology: {generation: g},
        userDefinedMetadata: {generation: g},
        weightSpecs: [{name: 'w', shape: [size], dtype: 'float32'}],
        weightData: new Float32Array(size).fill(g).buffer,
      };
    }

    /** The generation a load saw, or why it is not one whole generation. */
    function generationOf(a: tf.io.ModelArtifacts): number | string {
      const g = (a.userDefinedMetadata as {generation: number}).generation;
      const w = new Float32Array(a.weightData as ArrayBuffer);
      const whole =
        (a.modelTopology as {generation: number}).generation === g &&
        a.weightSpecs?.[0].shape[0] === (g % 2 === 1 ? 6 : 18) &&
        w.length === a.weightSpecs?.[0].shape[0] &&
        w.every(v => v === g);
      return whole
        ? g
        : `a mix: metadata ${g}, topology ${JSON.stringify(a.modelTopology)}, weights ${w}`;
    }

    it('interleaved loads while saving 120 times see the old or the new model, never a mix', async () => {
      await saveArtifacts(folder, generation(0));
      let saving = true;
      const saves = (async () => {
        for (let g = 1; g <= 120; g++) await saveArtifacts(folder, generation(g));
        saving = false;
      })();
      const seen: (number | string)[] = [];
      while (saving) {
        seen.push(await loadArtifacts(folder).then(generationOf, e => String(e)));
      }
      await saves;
      expect(seen.filter(s => typeof s === 'string').slice(0, 3)).toEqual([]);
      expect(
        new Set(seen.filter(g => typeof g === 'number' && g > 0 && g < 120)).size
      ).toBeGreaterThan(10);
      expect(fs.readdirSync(folder).length).toBe(2);
    });

    it('a second process saving 150 times while this one loads: every load whole, no temporary file left', async () => {
      // The child runs the package's Node entry, bundled from the sources.
      const lib = path.join(root, 'lib.cjs');
      execFileSync(path.join(process.cwd(), 'node_modules/.bin/esbuild'), [
        'src/node.ts',
        '--bundle',
        '--platform=node',
        '--external:@tensorflow/*',
        `--outfile=${lib}`,
        '--log-level=warning',
      ]);
      const saver = `
        const {fileSystem} = require(${JSON.stringify(lib)});
        (async () => {
          console.log('saving');
          for (let g = 1; g <= 150; g++) {
            const size = g % 2 === 1 ? 6 : 18;
            await fileSystem(${JSON.stringify(folder)}).save({modelTopology: {generation: g},
              userDefinedMetadata: {generation: g}, weightSpecs: [{name: 'w', shape: [size], dtype: 'float32'}],
              weightData: new Float32Array(size).fill(g).buffer});
          }
        })().catch(e => { console.error(e); process.exitCode = 1; });`;
      await saveArtifacts(folder, generation(0));
      const child = spawn(process.execPath, ['-e', saver], {
        cwd: process.cwd(),
        env: {...process.env, NODE_PATH: path.join(process.cwd(), 'node_modules')},
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', chunk => (stderr += chunk));
      let running = true;
      const exited = new Promise<number | null>(resolve =>
        child.on('exit', code => ((running = false), resolve(code)))
      );
      // Loads count from when the child has loaded tfjs and starts saving.
      await new Promise(resolve => child.stdout.once('data', resolve));
      const seen: (number | string)[] = [];
      while (running) {
        seen.push(await loadArtifacts(folder).then(generationOf, e => String(e)));
      }
      expect(await exited)
        .withContext(stderr)
        .toBe(0);
      expect(seen.filter(s => typeof s === 'string').slice(0, 3)).toEqual([]);
      // The loads overlapped the saves: they saw many generations between the first and the last.
      expect(
        new Set(seen.filter(g => typeof g === 'number' && g > 0 && g < 150)).size
      ).toBeGreaterThan(10);
      expect(generationOf(await loadArtifacts(folder))).toBe(150);
      const names = fs.readdirSync(folder).sort();
      expect(names.length).toBe(2);
      expect(names[0]).toBe('model.json');
      expect(names[1]).toMatch(WEIGHTS_NAME);
    });
  });
});
