// The streaming-limit section of bench/RESULTS.md and docs/performance.md from
// bench/streaming_limit.ts's rows; bench/bench.mjs places it between the markers below.
const n = (v, digits = 1) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? '');

/** "66.1 (>= 30: met)": a ratio beside its target; no ratio, no verdict. */
const against = (value, target, atLeast) =>
  typeof value === 'number' && Number.isFinite(value)
    ? `${n(value)} (${atLeast ? '>=' : '<='} ${target}: ${
        (atLeast ? value >= target : value <= target) ? 'met' : 'missed'
      })`
    : `n/a (target ${atLeast ? '>=' : '<='} ${target})`;

const COLUMNS = [
  ['where', r => r.where],
  ['model', r => r.model],
  ['pushArray 1 frame (us)', r => n(r.oursUs)],
  ['what an ORT-web user runs per frame', r => r.peerWork],
  ['ORT-web per frame (us)', r => (r.peerMissing ? r.peerMissing : n(r.ortUs))],
  ['ORT / ours (target)', r => against(r.ortOverOurs, r.ortTarget, true)],
  ['MACs per frame', r => String(r.macs)],
  [
    'arithmetic limit (us)',
    r => `${n(r.limitUs, 2)} (${n(r.productGmacPerS, 2)} GMAC/s, ${r.productRateOf})`,
  ],
  ['ours / limit (target)', r => against(r.oursOverLimit, r.limitTarget, false)],
  [
    'streams per core at 100 frames/s, batch 1 / 64',
    r => `${n(r.streamsPerCore, 0)} / ${n(r.streamsPerCore64, 0)}`,
  ],
  ['tfjs kernels per push', r => String(r.kernelsPerPush)],
  ['tensors leaked', r => String(r.leakedTensors)],
  [
    'max rel. diff ours vs ORT',
    r => (Number.isFinite(r.maxRelDiffVsOrt) ? Number(r.maxRelDiffVsOrt).toExponential(1) : ''),
  ],
];

/** The section's text without its heading: what was measured, then the table. */
export function limitMarkdown(rows) {
  const head = COLUMNS.map(([h]) => h);
  const lines = rows.map(r => COLUMNS.map(([, f]) => f(r)));
  const table = [head, head.map(() => '---'), ...lines].map(c => `| ${c.join(' | ')} |`).join('\n');
  return (
    `Issue #32's three models streamed one frame at a time by \`createStream\` ` +
    `(bench/streaming_limit.ts): the bench TCN (receptive field 127); the causal ` +
    `MatchboxNet-3x1x64-like spotter (spec/fixtures/matchboxnet.ts, \`poolingWindow: 100\`); a ` +
    `CRNN (DepthSeparableConv1d K=5 causal 40->64 ReLU, GRU 64 resetAfter, dense 10 a frame). ` +
    `Beside each, in the same run, what an ONNX Runtime Web user (wasm, one thread) does per new ` +
    `frame with the same weights (bench/limit_onnx.py exports them with torch): re-run the window ` +
    `the output needs (receptive field, plus the pooling window for MatchboxNet), or for the CRNN ` +
    `one step of a model taking the last 5 frames and the GRU state and returning the output and ` +
    `the state, fed back. Medians side by side (a Float32Array in, the values out; ours timed ` +
    `10 pushes a sample, as Chromium's clock counts in 5 us steps). The limit is ` +
    `the model's multiply-adds per output frame over the rate of the program's own product ` +
    `(its wasm SIMD kernel on 127 rows of 64 x 64, in cache), timed in the same rounds as the ` +
    `pushes (one core). Batch 64: one push of a 64-stream batch, per stream. ` +
    `Targets from the issue: >= 30x ORT for the TCN and MatchboxNet, >= 3x for the CRNN; within ` +
    `3x (TCN) and 5x of the limit. Shared machine: read the ratios.\n\n${table}\n`
  );
}

const START = '<!-- bench: streaming-limit -->';
const END = '<!-- /bench: streaming-limit -->';

/**
 * `text` with the section between the markers replaced by `body`; where there are no markers,
 * `heading` and the marked section are added at the end.
 */
export function withLimitSection(text, body, heading) {
  const marked = `${START}\n\n${body}\n${END}`;
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from >= 0 && to > from) return text.slice(0, from) + marked + text.slice(to + END.length);
  return `${text.replace(/\n*$/, '\n')}\n${heading}\n\n${marked}\n`;
}
