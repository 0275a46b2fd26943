import {RefConv, RefPadding, refPadding} from './reference';

/** One configuration of the op for the grid specs, with how it is fed. */
export interface GridCase extends RefConv {
  ncw: boolean;
  unbatched: boolean;
  tensorLike: boolean;
  name: string;
}

const PAD_KINDS = ['valid', 'same', 'causal', 'number', 'pair'] as const;

/**
 * Every K in 1..5, stride in 1..3, dilation in 1..3 and padding kind; the multiplier (1..3),
 * data format, width (odd, even, shorter than the filter), batching and TensorLike input
 * rotate through the cases so that each value meets each of the others many times.
 */
export function opGrid(): GridCase[] {
  const cases: GridCase[] = [];
  let i = 0;
  for (let kernel = 1; kernel <= 5; kernel++) {
    for (let stride = 1; stride <= 3; stride++) {
      for (let dilation = 1; dilation <= 3; dilation++) {
        for (const kind of PAD_KINDS) {
          const span = (kernel - 1) * dilation + 1;
          const pad: RefPadding =
            kind === 'number' ? 1 + (i % 3) : kind === 'pair' ? [i % 4, (i + 1) % 3] : kind;
          const odd = 2 * Math.floor((span + 4) / 2) + 1;
          const widths = [odd, odd + 1, Math.max(1, span - 2)];
          const unbatched = i % 7 === 3;
          const c: GridCase = {
            batch: unbatched ? 1 : 2,
            width: widths[i % 3],
            channels: 2 + (i % 2),
            kernel,
            multiplier: 1 + (i % 3),
            outChannels: 3,
            stride,
            dilation,
            pad,
            ncw: Math.floor(i / 3) % 2 === 1,
            unbatched,
            tensorLike: i % 11 === 5,
            name: '',
          };
          if (refPadding(c).out < 1) c.width = span;
          c.name = `K=${kernel} S=${stride} D=${dilation} pad=${JSON.stringify(pad)} M=${
            c.multiplier
          } L=${c.width} C=${c.channels} ${c.ncw ? 'NCW' : 'NWC'}${
            unbatched ? ' unbatched' : ''
          }${c.tensorLike ? ' TensorLike' : ''}`;
          cases.push(c);
          i++;
        }
      }
    }
  }
  return cases;
}
