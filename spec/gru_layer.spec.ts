import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {GRU, gru} from '../src';

import {expectClose, expectThrowsMatching, liveTensors} from './helpers';
import {finiteDifferences, GruCase, refGru} from './layer_reference';
import {randomArray, seededRandom} from './reference';

/** A config as model.json holds it (an undefined seed is written as null). */
function asJson(config: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(config, (_, v) => (v === undefined ? null : v)));
}

function caseOf(partial: Partial<GruCase>): GruCase {
  return {
    batch: 2,
    steps: 5,
    inputs: 3,
    units: 4,
    resetAfter: true,
    recurrentActivation: 'sigmoid',
    returnSequences: false,
    goBackwards: false,
    ...partial,
  };
}

/** Seeded operands: x, kernel, recurrent kernel, bias (`[2, 3H]` or `[3H]`). */
function operands(c: GruCase, seed: number): Float64Array[] {
  const rand = seededRandom(seed);
  const h3 = 3 * c.units;
  return [
    c.batch * c.steps * c.inputs,
    c.inputs * h3,
    c.units * h3,
    (c.resetAfter ? 2 : 1) * h3,
  ].map(n => randomArray(n, rand));
}

/** Our layer for a case, built, with the given weights. */
function layerFor(c: GruCase, [, kernel, recurrent, bias]: Float64Array[], extra = {}): GRU {
  const layer = gru({
    units: c.units,
    resetAfter: c.resetAfter,
    recurrentActivation: c.recurrentActivation,
    returnSequences: c.returnSequences,
    goBackwards: c.goBackwards,
    recurrentInitializer: 'glorotUniform',
    ...extra,
  });
  // Built as a model builds it (tfjs's RNN.build leaves `built` unset when called directly).
  layer.apply(tfl.input({shape: [c.steps, c.inputs]}));
  const h3 = 3 * c.units;
  layer.setWeights([
    tf.tensor2d(Float32Array.from(kernel), [c.inputs, h3]),
    tf.tensor2d(Float32Array.from(recurrent), [c.units, h3]),
    tf.tensor(Float32Array.from(bias), c.resetAfter ? [2, h3] : [h3]),
  ]);
  return layer;
}

describe('GRU layer', () => {
  describe("with resetAfter false is tfjs's GRU, bit for bit", () => {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`returnSequences ${returnSequences}, goBackwards ${goBackwards}, returnState`, () => {
          // (tfjs's default recurrent initializer, orthogonal, needs tfjs's chained ops, which
          // the specs do not register: the weights are copied over anyway.)
          const args = {
            units: 4,
            returnSequences,
            goBackwards,
            returnState: true,
            recurrentInitializer: 'glorotUniform' as const,
            inputShape: [5, 3] as [number, number],
          };
          const theirs = tfl.layers.gru(args);
          const ours = gru(args);
          const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 4);
          const before = liveTensors();
          const yTheirs = theirs.apply(x) as tf.Tensor[];
          const yOurs = ours.apply(x) as tf.Tensor[];
          const named = (l: tfl.layers.Layer) =>
            l.weights.map(w => [w.originalName.split('/').pop(), w.shape]);
          expect(named(ours)).toEqual(named(theirs));
          ours.setWeights(theirs.getWeights());
          const again = ours.apply(x) as tf.Tensor[];
          expect(again.length).toBe(2);
          for (let i = 0; i < 2; i++) {
            expect(again[i].shape).toEqual(yTheirs[i].shape);
            expect(Array.from(again[i].dataSync())).toEqual(Array.from(yTheirs[i].dataSync()));
          }
          const mine = asJson(ours.getConfig());
          const theirConfig = asJson(theirs.getConfig());
          for (const key of Object.keys(theirConfig).filter(k => k !== 'name')) {
            expect(mine[key]).withContext(key).toEqual(theirConfig[key]);
          }
          tf.dispose([...yTheirs, ...yOurs, ...again]);
          for (const w of [...theirs.weights, ...ours.weights]) w.dispose();
          expect(liveTensors()).toBe(before);
          x.dispose();
        });
      }
    }
  });

  for (const [name, partial] of [
    ['sigmoid, last output', {}],
    ['sigmoid, sequences, backwards', {returnSequences: true, goBackwards: true}],
    ['hardSigmoid, sequences', {recurrentActivation: 'hardSigmoid', returnSequences: true}],
    ['reset before (tfjs), sigmoid, sequences', {resetAfter: false, returnSequences: true}],
  ] as Array<[string, Partial<GruCase>]>) {
    it(`${name}: predicts SPEC's formulas in float64`, () => {
      const c = caseOf(partial);
      const ops = operands(c, name.length);
      const layer = layerFor(c, ops);
      expect(layer.weights.map(w => w.shape)).toEqual([
        [3, 12],
        [4, 12],
        c.resetAfter ? [2, 12] : [12],
      ]);
      const x = tf.tensor3d(Float32Array.from(ops[0]), [c.batch, c.steps, c.inputs]);
      const before = liveTensors();
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(c.returnSequences ? [2, 5, 4] : [2, 4]);
      expectClose(y.dataSync(), refGru(c, ops[0], ops[1], ops[2], ops[3]).y, 'y');
      y.dispose();
      expect(liveTensors()).toBe(before);
      x.dispose();
      for (const w of layer.weights) w.dispose();
    });

    it(`${name}: gradients match finite differences`, () => {
      const c = caseOf({...partial, batch: 1, steps: 3, inputs: 2, units: 2});
      const ops = operands(c, 3 + name.length);
      const layer = layerFor(c, ops);
      const outputs = c.batch * (c.returnSequences ? c.steps : 1) * c.units;
      const upstream = randomArray(outputs, seededRandom(2));
      const x = tf.tensor3d(Float32Array.from(ops[0]), [c.batch, c.steps, c.inputs]);
      const r = tf.tensor(
        Float32Array.from(upstream),
        c.returnSequences ? [c.batch, c.steps, c.units] : [c.batch, c.units]
      );
      const before = liveTensors();
      const loss = (xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi) as tf.Tensor, r));
      const {value, grads} = tf.variableGrads(
        () => loss(x) as tf.Scalar,
        layer.trainableWeights.map(v => v.read() as tf.Variable)
      );
      const dx = tf.grad(loss)(x);
      const expected = finiteDifferences(
        ([xp, k, rk, b]) => refGru(c, xp, k, rk, b).y,
        ops,
        upstream,
        1e-5
      );
      const names = layer.trainableWeights.map(v => (v.read() as tf.Variable).name);
      expectClose(dx.dataSync(), expected[0], 'dx');
      names.forEach((n, i) => expectClose(grads[n].dataSync(), expected[i + 1], n));
      tf.dispose([value, dx, ...Object.values(grads)]);
      expect(liveTensors()).toBe(before);
      tf.dispose([x, r]);
      for (const w of layer.weights) w.dispose();
    });
  }

  it('resetAfter true with returnState: the output and the last state the formulas give', () => {
    const c = caseOf({returnSequences: true, goBackwards: true});
    const ops = operands(c, 21);
    const layer = layerFor(c, ops, {returnState: true});
    const x = tf.tensor3d(Float32Array.from(ops[0]), [c.batch, c.steps, c.inputs]);
    const before = liveTensors();
    const [y, state] = layer.apply(x) as tf.Tensor[];
    const expected = refGru(c, ops[0], ops[1], ops[2], ops[3]);
    expect(y.shape).toEqual([2, 5, 4]);
    expect(state.shape).toEqual([2, 4]);
    expectClose(y.dataSync(), expected.y, 'y');
    expectClose(state.dataSync(), expected.state, 'state');
    tf.dispose([y, state]);
    expect(liveTensors()).toBe(before);
    x.dispose();
    for (const w of layer.weights) w.dispose();
  });

  for (const resetAfter of [true, false]) {
    it(`resetAfter ${resetAfter}: trains with fit, saves and loads back`, async () => {
      const model = tfl.sequential({
        layers: [
          gru({
            inputShape: [6, 2],
            units: 3,
            resetAfter,
            returnSequences: true,
            name: 'g',
            recurrentInitializer: 'glorotUniform',
          }),
          gru({
            units: 2,
            resetAfter,
            recurrentActivation: 'sigmoid',
            recurrentInitializer: 'glorotUniform',
          }),
        ],
      });
      const x = tf.randomNormal([4, 6, 2], 0, 1, 'float32', 7);
      const y = tf.randomNormal([4, 2], 0, 0.5, 'float32', 8);
      const before = liveTensors();
      model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
      const losses = (await model.fit(x, y, {epochs: 6, verbose: 0})).history.loss as number[];
      expect(losses[5]).toBeLessThan(losses[0]);
      model.optimizer.dispose();
      expect(liveTensors()).toBe(before);
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(
        tf.io.withSaveHandler(async a => {
          saved = a;
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        })
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const layer = loaded.getLayer('g') as GRU;
      expect(layer).toEqual(jasmine.any(GRU));
      expect(layer.resetAfter).toBe(resetAfter);
      const [a, b] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b, x, y]);
      model.dispose();
      loaded.dispose();
    });
  }

  it("dropout and recurrentDropout train with resetAfter true as tfjs's GRU does", async () => {
    // tfjs's GRU keeps the last call's dropout masks (3 each) until its next call; ours keeps
    // one of each kind, no more than tfjs's own (resetAfter false) holds.
    const held: number[] = [];
    for (const resetAfter of [false, true]) {
      const model = tfl.sequential({
        layers: [
          gru({
            inputShape: [6, 2],
            units: 3,
            resetAfter,
            dropout: 0.3,
            recurrentDropout: 0.3,
            recurrentInitializer: 'glorotUniform',
          }),
        ],
      });
      const x = tf.randomNormal([4, 6, 2], 0, 1, 'float32', 7);
      const y = tf.randomNormal([4, 3], 0, 0.5, 'float32', 8);
      const before = liveTensors();
      model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
      const losses = (await model.fit(x, y, {epochs: 3, verbose: 0})).history.loss as number[];
      expect(losses.every(Number.isFinite)).toBe(true);
      model.optimizer.dispose();
      held.push(liveTensors() - before);
      tf.dispose([x, y]);
      model.dispose();
    }
    expect(held[1])
      .withContext("tensors held after fit, ours vs tfjs's")
      .toBeLessThanOrEqual(held[0]);
    expect(held[1]).toBe(2);
  });

  it('bad arguments are ValueErrors naming the layer and the argument', () => {
    expectThrowsMatching(() => gru({units: 0}), /^GRU: units must be an integer >= 1/);
    expectThrowsMatching(
      () => gru({units: 2, name: 'g', resetAfter: 'yes' as unknown as boolean}),
      /^g: resetAfter must be true or false/
    );
    expectThrowsMatching(
      () => gru({units: 2, reset_after: true} as {units: number}),
      /GRU: unknown argument 'reset_after'; did you mean 'resetAfter'/
    );
    expectThrowsMatching(
      () => gru({units: 2, recurrentActivation: 'sigmoidal' as 'sigmoid'}),
      /recurrentActivation: unknown activation 'sigmoidal'/
    );
    expectThrowsMatching(() => gru({units: 2, dropout: 2}), /dropout must be a number in \[0, 1\]/);
  });
});
