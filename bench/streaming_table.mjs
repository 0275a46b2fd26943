// The streaming section of bench/RESULTS.md from bench/streaming.ts's rows.
const n = (v, digits = 1) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? '');

const COLUMNS = [
  ['where', r => r.where],
  ['push 1 frame (tensor)', r => n(r.pushMs, 3)],
  ['pushArray 1 frame', r => n(r.pushArrayMs, 3)],
  ['push 20 frames (tensor / array)', r => `${n(r.push20Ms, 3)} / ${n(r.push20ArrayMs, 3)}`],
  ['old tensor-engine push 1 / 20', r => `${n(r.oldPushMs, 2)} / ${n(r.oldPush20Ms, 2)}`],
  ['predict on 127', r => n(r.predictWindowMs, 2)],
  ['ORT-web on 127', r => n(r.ortWebWindowMs, 3)],
  ['ORT-node on 127', r => n(r.ortNodeWindowMs, 3)],
  [
    'ORT-web 127 / push (tensor, array)',
    r => `${n(r.ortWebOverPush, 1)}, ${n(r.ortWebOverPushArray, 1)}`,
  ],
  ['ORT-node 127 / push', r => n(r.ortNodeOverPush, 1)],
  ['ORT-web 127 / 20-frame push', r => n(r.ortWebOverPush20, 2)],
  ['kernels per push (old)', r => `${r.kernelsPerPush} (${r.oldKernelsPerPush})`],
  [
    'arithmetic limit of a push (us)',
    r =>
      `${n(r.limitUs, 1)} (${r.macsPerPush} MACs / ${n(r.productGmacPerS, 2)} GMAC/s, ${r.productRateOf})`,
  ],
  [
    'streams per core at 100 frames/s, batch 1 / 64',
    r => `${n(r.streamsPerCore, 0)} / ${n(r.streamsPerCore64, 0)}`,
  ],
  [
    '1000 frames per frame (us): 20-frame pushes / predict / ORT-web',
    r =>
      `${n(r.sequenceUsPerFrame, 1)} / ${n(r.predictSequenceUsPerFrame, 1)} / ${n(r.ortSequenceUsPerFrame, 1)}`,
  ],
  [
    'predict / ORT-web / ORT-node alone, 127 frames (ms)',
    r =>
      `${n(r.predictAloneWindowMs, 2)} / ${n(r.ortWebAloneWindowMs, 2)} / ${n(r.ortNodeAloneWindowMs, 2)}`,
  ],
  ['kernels per predict', r => String(r.predictKernels ?? '')],
  [
    'ORT-web / predict alone, 127 / 1000 frames',
    r => `${n(r.ortWebOverPredictWindow, 2)} / ${n(r.ortWebOverPredictSequence, 2)}`,
  ],
  [
    'max rel. diff vs predict (stream; peers)',
    r => `${Number(r.maxRelDiff).toExponential(1)}; ${r.peersVsPredict || r.peersMissing}`,
  ],
  ['tensors, bytes left', r => r.left],
];

/** The streaming section: the table, then the size-switch lines. */
export function streamingMarkdown(rows) {
  const head = COLUMNS.map(([h]) => h);
  const lines = rows.map(r => COLUMNS.map(([, f]) => f(r)));
  const table = [head, head.map(() => '---'), ...lines].map(c => `| ${c.join(' | ')} |`).join('\n');
  const switches = rows
    .filter(r => r.switch)
    .map(r => `- ${r.where}: ${r.switch}`)
    .join('\n');
  return (
    `\n## Streaming\n\nThe issue's causal TCN (a 1x1 conv from 1 to 64 channels, 6 residual blocks of ` +
    `DepthSeparableConv1d K=3 with ReLU, dilations 1-32, a dense head of 4; receptive field 127) on a ` +
    `live signal with \`createStream\`: a push runs the typed-array program (no tfjs kernel). Beside it in ` +
    `the same run: the old tensor-engine push, \`model.predict\` on the last 127 frames, ONNX Runtime Web ` +
    `(wasm, one thread, SIMD) and onnxruntime-node (one thread) re-running that window, from the same ` +
    `weights (bench/tcn_onnx.py). Median ms; every call pays what a user pays (a tensor or a ` +
    `Float32Array in, the result read back: \`await data()\` for tensors). Streams per core: real-time ` +
    `streams at 100 frames/s one core sustains with pushArray (batchSize 64: one push for 64 streams). ` +
    `Arithmetic limit: the multiply-adds of a one-frame push over the measured one-core rate of the ` +
    `program's own product (its wasm SIMD kernel on 127 rows of 64 x 64, in cache). "Alone": \`predict\` ` +
    `and the peers timed side by side in rounds of their own (in the rounds of the pushes predict shares ` +
    `each round with seven stream variants). Targets: one-frame push >= 10x ORT-web's window and faster than ORT-node's; 20-frame push ` +
    `>= 3x ORT-web's window.\n\n${table}\n` +
    (switches
      ? `\nPushes of n frames, program / tensor steps (ms), where the size switch is measured:\n\n${switches}\n`
      : '')
  );
}
