import {RefConv, randomArray, seededRandom} from '../reference';

/** The normal call that must still work after the refused ones. */
export const SMALL: RefConv = {
  batch: 2,
  width: 11,
  channels: 3,
  kernel: 4,
  multiplier: 1,
  outChannels: 5,
  stride: 1,
  dilation: 1,
  pad: 'same',
};

/** Its seeded operands and upstream gradient, as flat arrays. */
export function smallOperands() {
  const rand = seededRandom(41);
  const c = SMALL;
  return {
    x: randomArray(c.batch * c.width * c.channels, rand),
    dw: randomArray(c.kernel * c.channels, rand),
    pw: randomArray(c.channels * c.outChannels, rand),
    g: randomArray(c.batch * c.width * c.outChannels, rand),
  };
}
