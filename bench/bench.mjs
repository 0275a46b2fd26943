// `npm run bench`: runs bench/node.ts (Node: wasm, cpu), bench/browser.ts in headless Chromium
// (webgl, webgpu, wasm with one thread and with one a core), and PyTorch as a reference row when /usr/bin/python3 has torch; writes
// bench/RESULTS.md and bench/results.json. Not a test: timings on shared machines are noisy,
// so every comparison is a ratio measured in the same run.
//   BENCH_SKIP=browser,torch npm run bench     skips parts (ops: the op tables, keeping the last ones)
//   BENCH_ONLY=threads|webgpu npm run bench     reruns only the Chromium wasm rows with one thread a core, or webgpu's
//   BENCH_ONLY=peers npm run bench              prints only the table against ONNX Runtime (writes nothing)
//   BENCH_ONLY=limit npm run bench              only the streaming-limit table (bench/streaming_limit.ts:
//                                               Node wasm and cpu, Chromium wasm one thread unless
//                                               BENCH_SKIP=browser); writes bench/out/streaming-limit.*,
//                                               its section of RESULTS.md and docs/performance.md
//   BENCH_SKIP=layers,onnx                      skips the 1-D layers' rows (bench/layers.ts) or the ONNX
//                                               import's (bench/onnx_import.ts)
//   BENCH_SKIP=limit                            skips the streaming-limit rows (keeps the last ones)
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import {build} from 'esbuild';
import {chromium} from 'playwright-core';

import {startServer} from '../scripts/serve.mjs';
import chromiumFlags from '../scripts/chromium_flags.cjs';
import {limitMarkdown, withLimitSection} from './streaming_limit_table.mjs';
import {streamingMarkdown} from './streaming_table.mjs';

const {WEBGPU} = chromiumFlags;

const skip = (process.env.BENCH_SKIP ?? '').split(',');
const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';
mkdirSync('bench/out', {recursive: true});

/** The ONNX files of the peer rows (bench/torch_ref.py --onnx); without torch the rows say so. */
function exportOnnx() {
  try {
    execFileSync('/usr/bin/python3', ['bench/torch_ref.py', '--onnx', 'bench/out/onnx'], {
      stdio: 'ignore',
    });
  } catch {
    console.log('No torch at /usr/bin/python3: the ONNX Runtime rows are skipped.');
  }
}

/** Bundles and runs bench/node.ts (BENCH_ONLY and BENCH_SKIP pass through the environment). */
async function runNodeBench() {
  await build({
    entryPoints: ['bench/node.ts'],
    bundle: true,
    platform: 'node',
    outfile: 'build/bench-node.cjs',
    external: ['@tensorflow/*', 'onnxruntime-*'],
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
  await new Promise((done, fail) =>
    spawn('node', ['build/bench-node.cjs'], {stdio: 'inherit'}).on('close', code =>
      code === 0 ? done() : fail(new Error(`node bench exit ${code}`))
    )
  );
}

/** bench/node.ts's streaming-limit rows (bench/out/limit-node.json), or none if skipped. */
function nodeLimitRows() {
  const file = 'bench/out/limit-node.json';
  return skip.includes('limit') || !existsSync(file) ? [] : JSON.parse(readFileSync(file, 'utf8'));
}

async function nodeRows() {
  exportOnnx();
  await runNodeBench();
  const peers = skip.includes('ops')
    ? []
    : JSON.parse(readFileSync('bench/out/peers-node.json', 'utf8'));
  if (process.env.BENCH_ONLY === 'peers') return {rows: [], streaming: [], peers, limit: []};
  const streaming = JSON.parse(readFileSync('bench/out/node-streaming.json', 'utf8'));
  const opsRows = skip.includes('ops')
    ? []
    : JSON.parse(readFileSync('bench/out/node.json', 'utf8'));
  return {rows: opsRows, streaming, peers, limit: nodeLimitRows()};
}

/** bench/streaming_reach.ts (Node wasm, cpu): MatchboxNet streamed with its delay, as markdown. */
async function reachTable() {
  await build({
    entryPoints: ['bench/streaming_reach.ts'],
    bundle: true,
    platform: 'node',
    outfile: 'build/bench-reach.cjs',
    external: ['@tensorflow/*'],
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
  execFileSync('node', ['build/bench-reach.cjs'], {stdio: 'inherit'});
  return readFileSync('bench/out/streaming-reach.md', 'utf8');
}

/** The rows of one bench page: `query` picks backends and wasm threads. */
async function browserRows(query) {
  await build({
    entryPoints: ['bench/browser.ts'],
    bundle: true,
    format: 'iife',
    outfile: 'bench/out/browser.js',
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
  const {server, url} = await startServer('.');
  const browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: WEBGPU});
  try {
    const page = await browser.newPage();
    await page.goto(`${url}/bench/index.html?${query}`, {waitUntil: 'domcontentloaded'});
    let shown = 0;
    for (let waited = 0; waited < 40 * 60; waited += 5) {
      const state = await page.evaluate(() => ({
        rows: window.benchRows,
        streaming: window.benchStreaming,
        peers: window.benchPeers ?? [],
        limit: window.benchLimit ?? [],
        error: window.benchError,
        log: window.benchLog ?? [],
      }));
      for (const line of state.log.slice(shown)) console.log(line);
      shown = state.log.length;
      if (state.error) throw new Error(state.error);
      if (state.rows) {
        return {
          rows: state.rows,
          streaming: state.streaming,
          peers: state.peers,
          limit: state.limit,
        };
      }
      await new Promise(r => setTimeout(r, 5000));
    }
    throw new Error('the browser bench did not finish in 40 minutes');
  } finally {
    await browser.close();
    server.close();
  }
}

function torchRows() {
  try {
    return JSON.parse(
      execFileSync('/usr/bin/python3', ['bench/torch_ref.py'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    );
  } catch {
    return [];
  }
}

const n = (v, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : String(v ?? ''));

/** The table of filter widths on wasm, finite input and input with one NaN. */
function widthsTable(widths) {
  if (widths.length === 0) return '';
  const head = [
    'where',
    'K',
    'ours fwd, finite x',
    'ours fwd, one NaN in x',
    'separableConv2d fwd',
    'separableConv2d / ours (finite)',
    'separableConv2d / ours (NaN)',
  ];
  const lines = widths.map(r => [
    r.where,
    r.k,
    n(r.finite),
    n(r.nan),
    n(r.sep2d),
    n(r.finiteRatio, 2),
    n(r.nanRatio, 2),
  ]);
  return (
    `\n## Filter widths on wasm\n\nRow C's input (B=1 L=16000 C=32 O=64 same, dilation 1): our ` +
    `forward (on one wasm thread one kernel, padding by bounds, any width at one cost a tap) ` +
    `against \`tf.separableConv2d\` (XNNPACK, fast loops for 3, 4, 9 and 25 taps only), finite ` +
    `input and input with one NaN (the same path: nothing depends on the data).\n\n` +
    [head, head.map(() => '---'), ...lines].map(c => `| ${c.join(' | ')} |`).join('\n') +
    '\n'
  );
}

function markdown(rows, torch, widths = [], opsDate = null) {
  // Each of our rows against PyTorch with as many threads (wasm's thread count; else one).
  const torchTrain = Object.fromEntries(
    torch.map(r => [`${r.threads ?? 1}:${r.shape}`, r.oursTrain])
  );
  const threadsOf = where => Number(/(\d+) threads?/.exec(where)?.[1] ?? 1);
  const torchFor = r => torchTrain[`${threadsOf(r.where)}:${r.shape}`];
  const head = [
    'where',
    'shape',
    'ours fwd',
    'separableConv2d fwd',
    'depthwise+matMul fwd',
    'best baseline / ours (fwd)',
    'ours / (depthwise + matMul alone)',
    'ours train step',
    'train / fwd',
    'ours fwd / train, kernels off',
    'separableConv2d train step',
    'theirs / ours (train)',
    'ours / PyTorch (train, same threads)',
    'peak MB ours / theirs (step)',
    'tensors made per step, ours / theirs',
    'tensors, bytes left',
  ];
  const lines = rows.map(r => [
    r.where,
    r.shape,
    n(r.oursFwd),
    n(r.sep2dFwd),
    n(r.dwMatMulFwd),
    n(r.fwdRatio, 2),
    n(r.partsRatio, 2),
    n(r.oursTrain),
    n(r.trainOverFwd, 2),
    typeof r.compositeFwd === 'number' ? `${n(r.compositeFwd)} / ${n(r.compositeTrain)}` : '',
    n(r.sep2dTrain),
    n(r.trainRatio, 1),
    torchFor(r) ? n(r.oursTrain / torchFor(r), 2) : '',
    `${n(r.oursPeakMB)} / ${n(r.theirPeakMB)}`,
    `${r.oursTensorsMade} / ${r.theirTensorsMade}`,
    `${r.leftTensors}, ${r.leftBytes}`,
  ]);
  const torchLines = torch.map(r => [
    r.where,
    r.shape,
    n(r.oursFwd),
    '',
    '',
    '',
    '',
    n(r.oursTrain),
    n(r.oursTrain / r.oursFwd, 2),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  const table = [head, head.map(() => '---'), ...lines, ...torchLines]
    .map(c => `| ${c.join(' | ')} |`)
    .join('\n');
  const cpu = os.cpus();
  return (
    `# Benchmark results\n\n${new Date().toISOString().slice(0, 10)}; Node ${process.version}; ` +
    `${cpu[0]?.model ?? 'cpu'} x ${cpu.length}; tfjs 4.22.0; headless Chromium with SwiftShader WebGL2 ` +
    `(a CPU emulation: ratios, not GPU speed). Median ms, float32, channels-last, ` +
    `\`await data()\` included. Shapes: A B=8 L=1024 C=64 K=9 O=128 same; B B=32 L=256 C=128 ` +
    `K=3 O=128 same; C B=1 L=16000 C=32 K=15 O=64 dilation 4 same; D B=64 L=128 C=16 K=5 O=32 ` +
    `stride 2 valid. A training step is forward plus the gradients of x and both filters. tfjs's own ` +
    `training step runs once (tens of seconds on cpu); "throws" is what tfjs 4.22 says. "Kernels off" is ` +
    `our op with DEPTH_SEPARABLE_CONV1D_KERNELS false (the composite of tfjs ops; cpu, webgl and wasm have ` +
    `dedicated kernels).${opsDate ? ` The op tables are from the run of ${opsDate}.` : ''}` +
    `\n\n${table}\n${widthsTable(widths)}`
  );
}

/** Our forward against ONNX Runtime's, the kernels a call runs, and the single-core limit. */
function peersTable(peers) {
  if (peers.length === 0) return '';
  const head = [
    'where',
    'shape',
    'ours fwd',
    'separableConv2d fwd',
    'ORT-web (1 thread)',
    'ORT-web / ours',
    'onnxruntime-node (1 thread)',
    'ORT-node / ours',
    'single-core limit (FLOP / GEMM peak)',
    'kernels a call: ours / separableConv2d / ONNX nodes',
    'max diff vs ORT',
  ];
  const lines = peers.map(r =>
    r.peers
      ? [r.where, r.shape, r.peers, '', '', '', '', '', '', '', '']
      : [
          r.where,
          r.shape,
          n(r.oursFwd, 2),
          n(r.sep2dFwd, 2),
          n(r.ortWeb, 2),
          n(r.ortWebRatio, 2),
          n(r.ortNode, 2),
          n(r.ortNodeRatio, 2),
          `${n(r.limitMs, 2)} (${n(r.gemmPeakGflops, 1)} GFLOP/s)`,
          `${r.oursKernels} / ${r.sep2dKernels} / ${r.onnxNodes}`,
          Number(r.maxRelDiffVsOrt).toExponential(1),
        ]
  );
  return (
    `\n## Against ONNX Runtime\n\nThe same weights (exported by bench/torch_ref.py, opset 13, static ` +
    `shapes); each call takes its input from a Float32Array (NWC for us, NCW for ORT), runs and reads ` +
    `the result back. Median ms, side by side. Ratios > 1: we are faster. The limit is the row's ` +
    `FLOP at the best rate of a 512^3 matrix product on tfjs-wasm here.\n\n` +
    [head, head.map(() => '---'), ...lines].map(c => `| ${c.join(' | ')} |`).join('\n') +
    '\n'
  );
}

/** The streaming table: bench/streaming.ts's rows (its columns and text are there). */
function streamingTable(streaming) {
  return streaming.length === 0 ? '' : streamingMarkdown(streaming);
}

const LIMIT_HEADING = 'Streaming at the arithmetic limit';

/**
 * The streaming-limit rows as bench/out/streaming-limit.json and .md, and as the section of
 * docs/performance.md between its markers; returns the section's markdown.
 */
function writeLimit(rows) {
  const body = limitMarkdown(rows);
  writeFileSync('bench/out/streaming-limit.json', JSON.stringify(rows, null, 2));
  writeFileSync('bench/out/streaming-limit.md', `## ${LIMIT_HEADING}\n\n${body}`);
  const docs = 'docs/performance.md';
  writeFileSync(docs, withLimitSection(readFileSync(docs, 'utf8'), body, `### ${LIMIT_HEADING}`));
  return body;
}

/** `md` with the streaming-limit section of `rows` (none: `md` as it is). */
const withLimit = (md, rows) =>
  rows.length === 0 ? md : withLimitSection(md, limitMarkdown(rows), `## ${LIMIT_HEADING}`);

/**
 * BENCH_ONLY=limit: the streaming-limit rows alone (Node wasm and cpu, then Chromium wasm with
 * one thread); they replace the last run's section of RESULTS.md and docs/performance.md.
 */
async function limitOnly(before) {
  await runNodeBench();
  const rows = nodeLimitRows();
  if (!skip.includes('browser')) {
    if (existsSync(CHROMIUM))
      rows.push(...(await browserRows('backends=wasm&threads=1&only=limit')).limit);
    else console.log(`No Chromium at ${CHROMIUM}: the Chromium wasm rows are skipped.`);
  }
  const body = writeLimit(rows);
  const results = existsSync('bench/RESULTS.md') ? readFileSync('bench/RESULTS.md', 'utf8') : '';
  writeFileSync('bench/RESULTS.md', withLimit(results, rows));
  const today = new Date().toISOString().slice(0, 10);
  writeFileSync(
    'bench/results.json',
    JSON.stringify({...before, limit: rows, limitDate: today}, null, 2)
  );
  console.log(`\n## ${LIMIT_HEADING}\n\n${body}`);
}

/** What an earlier run stored, for the parts this run skips. */
function previous() {
  return existsSync('bench/results.json')
    ? JSON.parse(readFileSync('bench/results.json', 'utf8'))
    : {};
}

/**
 * BENCH_ONLY=threads or webgpu: only that page (Chromium wasm with one thread a core, or
 * webgpu); its rows replace the last run's rows of the same page, everything else is kept.
 */
async function pageOnly(before, only) {
  const threads = only === 'threads';
  const page = await browserRows(
    threads
      ? `backends=wasm&threads=${os.cpus().length}&streaming=no`
      : 'backends=webgpu&streaming=no'
  );
  const mine = before.rows
    .map((r, i) => [r, i])
    .filter(([r]) =>
      threads ? r.where.startsWith('Chromium wasm') : r.where === 'Chromium webgpu'
    );
  // The threads page's rows are the last wasm ones (the one-thread page comes first).
  const replaced = new Set(mine.slice(-page.rows.length).map(([, i]) => i));
  const rows = before.rows.filter((_, i) => !replaced.has(i)).concat(page.rows);
  const today = new Date().toISOString().slice(0, 10);
  const md =
    markdown(
      rows,
      before.torch ?? [],
      before.widths ?? [],
      `${before.opsDate}, except the ${
        threads ? 'Chromium wasm rows with one thread a core' : 'webgpu rows'
      } (${today})`
    ) + streamingTable(before.streaming ?? []);
  writeFileSync('bench/RESULTS.md', withLimit(md, before.limit ?? []));
  writeFileSync('bench/results.json', JSON.stringify({...before, rows}, null, 2));
  console.log('\n' + md);
}

/**
 * A Node bench of its own (bench/layers.ts, bench/onnx_import.ts): bundled, run, and its markdown
 * (bench/out/NAME.md) returned for RESULTS.md; without torch (it exports the peers' ONNX files)
 * the section says so.
 */
async function sectionBench(entry, markdownFile, title, prepare) {
  try {
    if (prepare) execFileSync('/usr/bin/python3', prepare, {stdio: 'ignore'});
    const out = `build/${entry.replace(/\W/g, '_')}.cjs`;
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      outfile: out,
      external: ['@tensorflow/*', 'onnxruntime-*'],
      ignoreAnnotations: true,
      logLevel: 'warning',
    });
    execFileSync('node', [out], {stdio: 'inherit'});
    return `\n## ${title}\n\n` + readFileSync(markdownFile, 'utf8');
  } catch (e) {
    return `\n## ${title}\n\nNot run: ${String(e.message ?? e).split('\n')[0]}\n`;
  }
}

/** A `## title` section of the last bench/RESULTS.md, for a part this run skips (or ''). */
function keptSection(title) {
  if (!existsSync('bench/RESULTS.md')) return '';
  const md = readFileSync('bench/RESULTS.md', 'utf8');
  const start = md.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const end = md.indexOf('\n## ', start + 1);
  return end < 0 ? md.slice(start) : md.slice(start, end);
}

async function main() {
  const before = previous();
  if (['threads', 'webgpu'].includes(process.env.BENCH_ONLY))
    return pageOnly(before, process.env.BENCH_ONLY);
  if (process.env.BENCH_ONLY === 'limit') return limitOnly(before);
  if (process.env.BENCH_ONLY === 'peers') {
    // Only the ONNX Runtime table (Node, then Chromium wasm), printed; nothing is written.
    const node = await nodeRows();
    const page = await browserRows('backends=wasm&threads=1&ops=no&streaming=no');
    return console.log(peersTable([...node.peers, ...page.peers]));
  }
  const today = new Date().toISOString().slice(0, 10);
  const opsSkipped = skip.includes('ops');
  const rows = [];
  const streaming = [];
  const peers = [];
  const limit = [];
  if (!skip.includes('node')) {
    const node = await nodeRows();
    rows.push(...node.rows);
    streaming.push(...node.streaming);
    peers.push(...node.peers);
    limit.push(...node.limit);
  }
  if (!skip.includes('browser')) {
    // wasm with one thread beside the other backends, then wasm with one thread a core.
    if (existsSync(CHROMIUM)) {
      const page = await browserRows(
        `backends=webgl,webgpu,wasm&threads=1${opsSkipped ? '&ops=no' : ''}${
          skip.includes('limit') ? '&limit=no' : ''
        }`
      );
      rows.push(...page.rows);
      streaming.push(...page.streaming);
      peers.push(...page.peers);
      limit.push(...page.limit);
      // tfjs-wasm's default is half the cores (one, on 2 cores): ask for one a core.
      if (!opsSkipped)
        rows.push(
          ...(await browserRows(`backends=wasm&threads=${os.cpus().length}&streaming=no`)).rows
        );
    } else
      console.log(`No Chromium at ${CHROMIUM} (Debian package chromium): browser rows skipped.`);
  }
  // BENCH_SKIP=ops: the op tables of the last full run are kept, with their date.
  const ops = opsSkipped
    ? {
        rows: before.rows ?? [],
        torch: before.torch ?? [],
        widths: before.widths ?? [],
        date: before.opsDate ?? 'an earlier run',
      }
    : {
        rows,
        torch: skip.includes('torch') ? [] : torchRows(),
        widths:
          !skip.includes('node') && existsSync('bench/out/widths.json')
            ? JSON.parse(readFileSync('bench/out/widths.json', 'utf8'))
            : [],
        date: today,
      };
  const reach = skip.includes('node') ? '' : await reachTable();
  const layers = skip.includes('layers')
    ? keptSection('The 1-D layers tfjs lacks (Node)')
    : await sectionBench(
        'bench/layers.ts',
        'bench/out/layers.md',
        'The 1-D layers tfjs lacks (Node)',
        ['bench/layers_onnx.py']
      );
  const onnx = skip.includes('onnx')
    ? keptSection('ONNX import (Node)')
    : await sectionBench('bench/onnx_import.ts', 'bench/out/onnx-import.md', 'ONNX import (Node)');
  // BENCH_SKIP=limit: the streaming-limit rows of the last run that had them are kept.
  const limitRows = limit.length > 0 ? limit : (before.limit ?? []);
  if (limit.length > 0) writeLimit(limit);
  // The streaming-limit section right after the other streaming tables.
  const md =
    withLimit(
      markdown(ops.rows, ops.torch, ops.widths, opsSkipped ? ops.date : null) +
        peersTable(opsSkipped ? (before.peers ?? []) : peers) +
        streamingTable(streaming) +
        reach,
      limitRows
    ) +
    layers +
    onnx;
  writeFileSync('bench/RESULTS.md', md);
  writeFileSync(
    'bench/results.json',
    JSON.stringify(
      {
        rows: ops.rows,
        torch: ops.torch,
        widths: ops.widths,
        peers: opsSkipped ? (before.peers ?? []) : peers,
        opsDate: ops.date,
        streaming,
        streamingDate: today,
        limit: limitRows,
        limitDate: limit.length > 0 ? today : before.limitDate,
      },
      null,
      2
    )
  );
  console.log('\n' + md);
}
main().catch(e => {
  console.error(e);
  process.exit(1);
});
