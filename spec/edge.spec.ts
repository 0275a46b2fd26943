import {tolerance} from './helpers';
import {checkNWC, seededOperands} from './nwc_check';
import {RefConv, RefPadding, refForward} from './reference';

function conv(overrides: Partial<RefConv>): RefConv {
  return {
    batch: 2,
    width: 9,
    channels: 3,
    kernel: 3,
    multiplier: 2,
    outChannels: 2,
    stride: 1,
    dilation: 1,
    pad: 'same' as RefPadding,
    ...overrides,
  };
}

describe('numerical edge cases', () => {
  it('NaN in the input reaches exactly the outputs the reference says, no silent zeros', async () => {
    const c = conv({pad: 'valid'});
    const {x, dw, pw} = seededOperands(c, 1);
    x[(0 * 9 + 4) * 3 + 1] = NaN; // batch 0, position 4, channel 1
    const y = await checkNWC(c, x, dw, pw);
    expect(Array.from(y).filter(Number.isNaN).length).toBe(3 * 2); // 3 outputs x 2 channels
  });

  it('Inf in the input gives Inf or NaN exactly where the reference does', async () => {
    const c = conv({pad: 'causal', multiplier: 1});
    const {x, dw, pw} = seededOperands(c, 2);
    x[(1 * 9 + 2) * 3 + 0] = Infinity;
    const y = await checkNWC(c, x, dw, pw);
    expect(Array.from(y).some(v => !Number.isFinite(v))).toBe(true);
  });

  it('large magnitudes (1e30) stay exact in relative terms', async () => {
    const c = conv({});
    const {x, dw, pw} = seededOperands(c, 3);
    await checkNWC(
      c,
      x.map(v => v * 1e30),
      dw,
      pw
    );
  });

  it('tiny magnitudes (1e-30) stay exact in relative terms', async () => {
    const c = conv({});
    const {x, dw, pw} = seededOperands(c, 4);
    const y = await checkNWC(
      c,
      x.map(v => v * 1e-30),
      dw,
      pw
    );
    const ref = refForward(
      c,
      x.map(v => v * 1e-30),
      dw,
      pw
    ).y;
    const scale = Math.max(...Array.from(ref, Math.abs));
    const worst = Math.max(...Array.from(y, (v, i) => Math.abs(v - ref[i])));
    expect(worst).toBeLessThanOrEqual(tolerance() * scale);
  });

  it('subnormal inputs give finite results, never NaN', async () => {
    const c = conv({});
    const {x, dw, pw} = seededOperands(c, 5);
    const y = await checkNWC(
      c,
      x.map(v => v * 1e-40),
      dw,
      pw
    );
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
  });

  it('all-zero inputs give exact zeros', async () => {
    const c = conv({dilation: 2, stride: 2});
    const {dw, pw} = seededOperands(c, 6);
    const y = await checkNWC(c, new Float64Array(2 * 9 * 3), dw, pw);
    expect(Array.from(y).every(v => v === 0)).toBe(true);
  });

  it('width 1 works with same, causal and explicit padding', async () => {
    for (const pad of ['same', 'causal', 2, [0, 4]] as RefPadding[]) {
      const c = conv({width: 1, kernel: 3, dilation: 2, pad});
      const {x, dw, pw} = seededOperands(c, 7);
      await checkNWC(c, x, dw, pw);
    }
  });

  it('K = 1 is a pure pointwise convolution', async () => {
    const c = conv({kernel: 1, stride: 2, pad: 'valid'});
    const {x, dw, pw} = seededOperands(c, 8);
    await checkNWC(c, x, dw, pw);
  });

  it('a dilation so large that every output sees only padding gives zeros and zero dx', async () => {
    const c = conv({width: 2, kernel: 2, dilation: 8, pad: [5, 5], multiplier: 1});
    const {x, dw, pw} = seededOperands(c, 9);
    const y = await checkNWC(c, x, dw, pw);
    expect(Array.from(y).every(v => v === 0)).toBe(true);
  });
});

describe('filters wider than 25 taps (wasm runs them in pieces of at most 25)', () => {
  const wide: Array<Partial<RefConv>> = [
    {kernel: 26, width: 40, pad: 'same'},
    {kernel: 31, width: 70, stride: 2, pad: 'valid', multiplier: 1},
    {kernel: 57, width: 150, dilation: 2, pad: 'causal'},
    {kernel: 30, width: 90, stride: 3, dilation: 2, pad: [5, 2]},
    {kernel: 50, width: 30, pad: 'same', multiplier: 1},
  ];
  wide.forEach((overrides, i) => {
    it(`K=${overrides.kernel} S=${overrides.stride ?? 1} D=${overrides.dilation ?? 1} pad=${JSON.stringify(
      overrides.pad
    )}: forward and gradients match the reference`, async () => {
      const c = conv(overrides);
      const {x, dw, pw} = seededOperands(c, 100 + i);
      await checkNWC(c, x, dw, pw);
    });
  });
});
