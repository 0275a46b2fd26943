// The streaming mutation audit (issue #24, repeated for issue #29): one-line mutations of the
// streaming code, each run against the streaming specs, which must fail. Not part of `npm test`
// (a few minutes per dozen mutants). See docs/testing.md#streaming-mutation-audit.
//
//   node scripts/mutants.mjs                 every mutant, then a markdown table
//   node scripts/mutants.mjs merge pooling   only the mutants whose name matches a word
//   node scripts/mutants.mjs --check         only checks that every `find` is in the code
//
// The mutants are applied to a scratch copy of the working tree (src/ and spec/ as they are
// now, node_modules linked), never to the tree itself; each file is restored in a `finally`,
// and at the end the copy's src/ must equal the tree's, and the tree's src/ be as it was.
import {spawn, spawnSync} from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The specs every mutant runs by default: every streaming spec, on Node's cpu backend. */
const FILTER = '[Ss]tream';
const SUITES = 'node-cpu';

/**
 * The mutations: `find` must occur exactly once in `file` (else the row says the code moved);
 * `filter` / `suites` narrow or widen the specs for one mutant; `equivalent` says why a mutant
 * that survives computes the same (it then does not count as a gap).
 */
const MUTANTS = [
  // The one window arithmetic (sliding.ts), shared by the tensor steps and the program.
  {
    name: 'slide-full-window-waits',
    file: 'src/streaming/sliding.ts',
    find: 'if (width < span) return {windows: 0, used: 0, skip: 0};',
    replace: 'if (width <= span) return {windows: 0, used: 0, skip: 0};',
    what: 'a window that is exactly full waits for one more frame',
  },
  {
    name: 'slide-forgets-skip',
    file: 'src/streaming/sliding.ts',
    find: '{windows, used: width, skip: used - width}',
    replace: '{windows, used: width, skip: 0}',
    what: 'a stride longer than the window forgets the frames it must skip',
  },
  {
    name: 'frames-out-exact-fit',
    file: 'src/streaming/sliding.ts',
    find: 'if (n + leftPadding + rightPadding < span) return 0;',
    replace: 'if (n + leftPadding + rightPadding <= span) return 0;',
    what: "an edge's width is 0 when exactly one window fits",
  },
  {
    name: 'causal-left-short',
    file: 'src/streaming/sliding.ts',
    find: "if (padding === 'causal') return [span - 1, 0];",
    replace: "if (padding === 'causal') return [Math.max(span - 2, 0), 0];",
    what: "'causal' pads one frame short on the left",
  },
  {
    name: 'same-odd-frame-left',
    file: 'src/streaming/sliding.ts',
    find: 'if (stride === 1) return [Math.floor(total / 2), total - Math.floor(total / 2)];',
    replace: 'if (stride === 1) return [Math.ceil(total / 2), total - Math.ceil(total / 2)];',
    what: "'same' at an even span puts its odd padding frame on the left, not the right",
  },
  {
    name: 'delay-ignores-rate',
    file: 'src/streaming/timing.ts',
    find: 'delay: input.delay + rightPadding * input.rate,',
    replace: 'delay: input.delay + rightPadding,',
    what: "a window's delay counts its right padding in its input's frames, not input frames",
  },
  {
    name: 'receptive-field-ignores-rate',
    file: 'src/streaming/timing.ts',
    find: 'receptiveField: input.receptiveField + (span - 1) * input.rate,',
    replace: 'receptiveField: input.receptiveField + (span - 1),',
    what: "a window's receptive field forgets the strides before it",
  },
  // The tensor steps (steps.ts, edge.ts).
  {
    name: 'step-left-padding-short',
    file: 'src/streaming/steps.ts',
    find: 'buffers: [constantFrames(input, batch, leftPadding, padValue)],',
    replace: 'buffers: [constantFrames(input, batch, Math.max(leftPadding - 1, 0), padValue)],',
    what: 'a fresh window step holds one left-padding frame too few',
  },
  {
    name: 'step-no-skip',
    file: 'src/streaming/steps.ts',
    find: 'const skipped = Math.min(skip, frameCount(x, input));',
    replace: 'const skipped = 0;',
    what: 'the window step never skips the inputs a long stride jumps over',
  },
  {
    name: 'flush-right-padding-short',
    file: 'src/streaming/steps.ts',
    find: '? joinFrames(newFrames, constantFrames(input, batch, rightPadding, padValue), input)',
    replace:
      '? joinFrames(newFrames, constantFrames(input, batch, rightPadding - 1, padValue), input)',
    what: 'at the end of the signal a window adds one right-padding frame too few',
  },
  {
    name: 'merge-drops-one-more',
    file: 'src/streaming/steps.ts',
    find: 'state: {buffers: queued.map((q, i) => sliceFrames(q, inputs[i], ready)), skip: 0},',
    replace:
      'state: {buffers: queued.map((q, i) => sliceFrames(q, inputs[i], ' +
      'Math.min(ready + 1, frameCount(q, inputs[i])))), skip: 0},',
    what: 'the merge step drops one frame too many from the queues of branches ahead',
  },
  {
    name: 'padding-frames-zero',
    file: 'src/streaming/edge.ts',
    find: ': fill(framesShape(edge, batch, n), value);',
    replace: ': zeros(framesShape(edge, batch, n));',
    what: "padding frames are zeros whatever their value (max pooling's -Infinity)",
  },
  {
    name: 'merge-delay-min',
    file: 'src/streaming/kinds/merge.ts',
    find: 'delay: Math.max(...inputs.map(e => e.delay)),',
    replace: 'delay: Math.min(...inputs.map(e => e.delay)),',
    what: 'a merge lags as its least delayed branch, not its most',
  },
  {
    name: 'merge-accepts-misaligned',
    file: 'src/streaming/kinds/merge.ts',
    find: 'if (widths.some(w => w !== widths[0])) {',
    replace: 'if (widths.length < 0) {',
    what: 'a merge of branches whose widths differ is planned instead of refused',
  },
  // The stream (stream.ts, memory.ts).
  {
    name: 'flush-without-end',
    file: 'src/streaming/stream.ts',
    find: "return this.naming('flush', () => this.advance(empty, true));",
    replace: "return this.naming('flush', () => this.advance(empty, false));",
    what: 'flush does not add the right padding: the last delay frames never come',
  },
  {
    name: 'flush-no-reset',
    file: 'src/streaming/stream.ts',
    find: 'this.reset();',
    replace: '',
    what: "flush leaves the signal's buffers for the next signal",
  },
  {
    name: 'keeps-caller-view',
    file: 'src/streaming/stream.ts',
    find: "if (getBackend() !== 'cpu') return chunk;",
    replace: 'return chunk;',
    what: "the tensor steps keep a view of the caller's array on cpu",
  },
  {
    name: 'memory-program-stale',
    file: 'src/streaming/memory.ts',
    find: 'this.programCurrent = false;',
    replace: 'this.programCurrent = true;',
    what: 'a state set by setState or a tensor push is not moved into the program',
  },
  // Global pooling as a window (tensor step, its reduction, the program node).
  {
    name: 'global-pool-keeps-2-short',
    file: 'src/streaming/kinds/global_pooling.ts',
    find: 'const keep = Math.min(window - 1, total);',
    replace: 'const keep = Math.max(Math.min(window - 2, total), 0);',
    what: 'global pooling keeps window - 2 frames: its window is one frame short',
  },
  {
    name: 'global-average-warmup-divisor',
    file: 'src/streaming/window_reduce.ts',
    find: '(_, j) => window / Math.min(history + j + 1, window)',
    replace: '(_, j) => window / Math.min(history + j + 2, window)',
    what: 'before the window is full, the average divides by one frame more (tensor steps)',
  },
  {
    name: 'global-average-divides-by-window',
    file: 'src/streaming/program/pooling_node.ts',
    find: "pool === 'average' && nonFinite[i] === 0 ? sum[i] / frames",
    replace: "pool === 'average' && nonFinite[i] === 0 ? sum[i] / window",
    what: 'before the window is full, the average divides by the window (program)',
  },
  {
    name: 'global-max-nan-leaves-early',
    file: 'src/streaming/program/pooling_node.ts',
    find: 'if (lastNaN[i] > seen - 1 - window || size[i] === 0) return NaN;',
    replace: 'if (lastNaN[i] > seen - window || size[i] === 0) return NaN;',
    what: 'a NaN in the oldest frame of the max window is forgotten (program)',
  },
  {
    name: 'global-average-inf-minus-inf',
    file: 'src/streaming/program/pooling_node.ts',
    find: 'if (nan[i] > 0 || (posInf[i] > 0 && negInf[i] > 0)) return NaN;',
    replace: 'if (nan[i] > 0) return NaN;',
    what: 'an average window holding +Inf and -Inf gives +Inf, not NaN (program)',
  },
  // Local pooling (its kind, the NaN rule of the tensor steps, the program's windows).
  {
    name: 'local-pool-stride-is-size',
    file: 'src/streaming/kinds/local_pooling.ts',
    find: 'const stride = first(c.strides ?? c.poolSize);',
    replace: 'const stride = first(c.poolSize);',
    what: "local pooling ignores its strides (takes poolSize's)",
  },
  {
    name: 'local-average-divisor',
    file: 'src/streaming/program/window_node.ts',
    find: "out[o0 + c] = kind === 'max' ? acc : acc / span;",
    replace: "out[o0 + c] = kind === 'max' ? acc : acc / (span + 1);",
    what: "the program's average pooling divides by one frame more than its window",
  },
  {
    name: 'local-average-minority-nan',
    file: 'src/streaming/nan.ts',
    find: "greater(pool(cast(flags, 'float32')), 0);",
    replace: "greater(pool(cast(flags, 'float32')), 0.5);",
    what: 'average pooling loses a NaN that is a minority of its window (tensor steps)',
    // tfjs-cpu's avgPool keeps NaN itself: the rule is there for tfjs-wasm's, which does not.
    suites: 'node-wasm',
  },
  {
    name: 'local-max-loses-nan',
    file: 'src/streaming/program/window_node.ts',
    find: "acc = kind === 'max' ? Math.max(acc, x[i]) : acc + x[i];",
    replace: "acc = kind === 'max' ? (acc > x[i] ? acc : x[i]) : acc + x[i];",
    what: "the program's max pooling loses a NaN that a later frame follows",
  },
  // Convolution windows: span, dilation, left padding, stride skip (kind and program node).
  {
    name: 'conv-span-ignores-dilation',
    file: 'src/streaming/kinds/conv_window.ts',
    find: 'const span = effectiveWidth(s.kernelSize, s.dilation);',
    replace: 'const span = effectiveWidth(s.kernelSize, 1);',
    what: "a convolution's window ignores its dilation",
  },
  {
    name: 'separable-taps-undilated',
    file: 'src/streaming/program/window_node.ts',
    find: 'const step = dilation * C;',
    replace: 'const step = C;',
    what: "the program's separable taps ignore the dilation",
  },
  {
    name: 'conv1d-taps-undilated',
    file: 'src/streaming/program/window_node.ts',
    find: 'const from = base + k * dilation * C;',
    replace: 'const from = base + k * C;',
    what: "the program's conv1d taps ignore the dilation (SIMD rows)",
  },
  {
    name: 'program-left-padding-short',
    file: 'src/streaming/program/window_node.ts',
    find: 'queue.appendZeros(leftPadding, padValue);',
    replace: 'queue.appendZeros(leftPadding - 1, padValue);',
    what: "the program's window node starts one left-padding frame short",
    equivalent:
      "StreamMemory moves the tensor step's fresh state (its left padding) into the program " +
      'before its first push and after every reset or setState, so this padding is always ' +
      'overwritten',
  },
  {
    name: 'program-skips-last-frames',
    file: 'src/streaming/program/window_node.ts',
    find: 'queue.append(x.data, x.n, skipped, x.n - skipped);',
    replace: 'queue.append(x.data, x.n, 0, x.n - skipped);',
    what: 'the program skips the last frames of a push, not the first',
  },
  {
    name: 'program-export-no-skip',
    file: 'src/streaming/program/window_node.ts',
    find: 'exportState: () => ({buffers: [{data: queue.read(), n: queue.length}], skip}),',
    replace: 'exportState: () => ({buffers: [{data: queue.read(), n: queue.length}], skip: 0}),',
    what: "the program's window state loses its stride phase",
  },
  // The program's queues and merges.
  {
    name: 'queue-drop-keeps-last',
    file: 'src/streaming/program/frame_buffers.ts',
    find: 'this.start += Math.min(n, this.length);',
    replace: 'this.start += Math.min(n, this.length - 1);',
    what: 'a FrameQueue never drops its last live frame',
  },
  {
    name: 'queue-append-from-start',
    file: 'src/streaming/program/frame_buffers.ts',
    find: 'copyFloats(src, (b * srcFrames + from) * C, data,',
    replace: 'copyFloats(src, b * srcFrames * C, data,',
    what: 'a FrameQueue appends from the first frame of its source, whatever `from` says',
  },
  {
    name: 'queue-compaction-loses-frame',
    file: 'src/streaming/program/frame_buffers.ts',
    find: 'data.copyWithin(base, base + this.start * C, base + this.end * C);',
    replace: 'data.copyWithin(base, base + this.start * C, base + (this.end - 1) * C);',
    what: 'moving the live frames to the front loses the newest one',
  },
  {
    name: 'program-merge-drops-one-more',
    file: 'src/streaming/program/merge_node.ts',
    find: 'q.drop(ready);',
    replace: 'q.drop(ready + 1);',
    what: "the program's merge drops one frame too many from a branch that is ahead",
  },
  // Recurrent layers: the state carried between pushes, the cells' gates.
  {
    name: 'recurrent-state-not-carried',
    file: 'src/streaming/kinds/recurrent.ts',
    find: 'state: {buffers: states.map(s => reshape(s, [batch, 1, units])), skip: 0},',
    replace: 'state,',
    what: "the recurrent step does not carry the cell's state to the next push",
  },
  {
    name: 'recurrent-import-zeros',
    file: 'src/streaming/program/recurrent_node.ts',
    find: 'started = state.buffers[0].n > 0;',
    replace: 'started = false;',
    what: "the program's recurrent node starts from zeros after a state is moved in",
  },
  {
    name: 'gru-reset-after-gate',
    file: 'src/streaming/program/recurrent_node.ts',
    find: 'candidate[u] = fromX[2 * U + u] + r[u] * fromH[2 * U + u];',
    replace: 'candidate[u] = fromX[2 * U + u] + z[u] * fromH[2 * U + u];',
    what: "a reset_after GRU's candidate takes the update gate for the reset gate (program)",
  },
  {
    name: 'lstm-forget-input-swapped',
    file: 'src/streaming/program/recurrent_node.ts',
    find: 'c[at + u] = gates[U + u] * c[at + u] + gates[u] * candidate[u];',
    replace: 'c[at + u] = gates[u] * c[at + u] + gates[U + u] * candidate[u];',
    what: "the LSTM's forget and input gates swapped (program)",
  },
  // Stream state export and import.
  {
    name: 'state-encode-no-skip',
    file: 'src/streaming/state.ts',
    find: 'skip: state.skip,',
    replace: 'skip: 0,',
    what: 'getState drops the stride phases',
  },
  {
    name: 'state-accepts-frames-while-skipping',
    file: 'src/streaming/state_format.ts',
    find: 'if (skip > 0) return [0, 0];',
    replace: 'if (skip > 0) return [0, maxFrames];',
    what: 'setState accepts a window that holds frames while it skips, which no stream leaves',
  },
];

/** Every file under `dir`, as paths relative to it, with its contents. */
function snapshot(dir) {
  const files = new Map();
  const walk = sub => {
    for (const entry of readdirSync(join(dir, sub), {withFileTypes: true})) {
      const path = join(sub, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(join(dir, path), 'utf8'));
    }
  };
  walk('');
  return files;
}

function sameFiles(a, b) {
  return a.size === b.size && [...a].every(([path, text]) => b.get(path) === text);
}

/** A copy of the working tree to mutate: sources and specs, node_modules linked. */
function scratchCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'mutants-'));
  const skip = new Set(['node_modules', '.git', 'build', 'dist', 'coverage', 'bench/out']);
  cpSync(ROOT, dir, {
    recursive: true,
    filter: src => !skip.has(relative(ROOT, src)) && !relative(ROOT, src).startsWith('docs/api'),
  });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** The spec run under way (its process group is killed on an interrupt). */
let running = null;

/**
 * Runs the filtered specs in `dir`; the counts from `npm test`'s last line, or null on a
 * timeout (the process group is killed).
 */
function runSpecs(dir, {filter = FILTER, suites = SUITES} = {}, timeoutMs = Infinity) {
  return new Promise(done => {
    const child = (running = spawn('npm', ['test', '--silent'], {
      cwd: dir,
      env: {...process.env, TEST_SUITES: suites, SPEC_FILTER: filter},
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }));
    let out = '';
    child.stdout.on('data', chunk => {
      out += chunk;
    });
    child.stderr.on('data', () => {});
    let timedOut = false;
    const timer =
      timeoutMs === Infinity
        ? null
        : setTimeout(() => {
            timedOut = true;
            process.kill(-child.pid, 'SIGKILL');
          }, timeoutMs);
    child.on('close', () => {
      running = null;
      if (timer != null) clearTimeout(timer);
      const last = out.match(/(\d+) passed, (\d+) failed, (\d+) skipped\s*$/);
      done(
        timedOut || last == null
          ? {timedOut, passed: 0, failed: 0, crashed: !timedOut}
          : {passed: Number(last[1]), failed: Number(last[2])}
      );
    });
  });
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|');
}

async function main() {
  const args = process.argv.slice(2);
  const checkOnly = args.includes('--check');
  const words = args.filter(a => !a.startsWith('--'));
  const chosen = MUTANTS.filter(m => words.length === 0 || words.some(w => m.name.includes(w)));
  const before = snapshot(join(ROOT, 'src'));
  const gitClean = spawnSync('git', ['diff', '--quiet', 'src'], {cwd: ROOT}).status === 0;

  // Where each `find` is now: exactly once, or the code moved (or is ambiguous).
  const where = new Map(
    chosen.map(m => {
      const text = before.get(relative('src', m.file));
      const count = text == null ? 0 : text.split(m.find).length - 1;
      return [m, count];
    })
  );
  const missing = chosen.filter(m => where.get(m) !== 1);
  for (const m of missing) {
    console.log(
      `${m.name}: find text ${where.get(m) === 0 ? 'missing' : 'not unique'} in ${m.file}`
    );
  }
  if (checkOnly) {
    console.log(`${chosen.length - missing.length} of ${chosen.length} mutants found in the code.`);
    process.exit(missing.length === 0 ? 0 : 1);
  }

  const dir = scratchCopy();
  // Interrupted: the spec run and the copy go (the tree itself is never written).
  process.once('SIGINT', () => {
    if (running != null) process.kill(-running.pid, 'SIGKILL');
    rmSync(dir, {recursive: true, force: true});
    process.exit(130);
  });
  const rows = [];
  let problem = null;
  try {
    const started = Date.now();
    // The unmutated specs of each suite and filter the mutants run, once: they must pass, and
    // their time sets the timeout (a mutant that loops forever is caught, not waited for).
    const baselines = new Map();
    const timeoutFor = async m => {
      const config = {filter: m.filter ?? FILTER, suites: m.suites ?? SUITES};
      const key = `${config.suites} ${config.filter}`;
      if (!baselines.has(key)) {
        const t0 = Date.now();
        const base = await runSpecs(dir, config);
        const seconds = (Date.now() - t0) / 1000;
        console.log(
          `baseline ${key}: ${base.passed} passed, ${base.failed} failed (${seconds.toFixed(0)} s)`
        );
        if (base.failed > 0 || base.passed === 0) {
          throw new Error(`the unmutated specs (${key}) do not pass: fix them before the audit`);
        }
        baselines.set(key, Math.max(120, 6 * seconds) * 1000);
      }
      return baselines.get(key);
    };
    for (const m of chosen) {
      if (where.get(m) !== 1) {
        rows.push({
          m,
          result: `not run: find text ${where.get(m) === 0 ? 'missing' : 'not unique'}`,
        });
        continue;
      }
      const timeoutMs = await timeoutFor(m);
      const path = join(dir, m.file);
      const original = readFileSync(path, 'utf8');
      const t0 = Date.now();
      let r;
      try {
        writeFileSync(
          path,
          original.replace(m.find, () => m.replace)
        );
        r = await runSpecs(dir, m, timeoutMs);
      } finally {
        writeFileSync(path, original);
      }
      const seconds = ((Date.now() - t0) / 1000).toFixed(0);
      const result = r.timedOut
        ? 'caught (timed out)'
        : r.crashed
          ? 'caught (crashed)'
          : r.failed > 0
            ? `caught (${r.failed} failed)`
            : m.equivalent != null
              ? `survived: equivalent (${m.equivalent})`
              : 'SURVIVED';
      rows.push({m, result});
      console.log(`${m.name}: ${result} (${seconds} s)`);
    }
    console.log(`total ${((Date.now() - started) / 1000 / 60).toFixed(1)} min`);
  } catch (e) {
    problem = e;
  } finally {
    const copied = snapshot(join(dir, 'src'));
    if (!sameFiles(copied, before)) problem ??= new Error('the scratch src/ was left mutated');
    rmSync(dir, {recursive: true, force: true});
  }
  if (!sameFiles(snapshot(join(ROOT, 'src')), before)) {
    problem ??= new Error('src/ changed during the audit');
  }
  if (gitClean && spawnSync('git', ['diff', '--quiet', 'src'], {cwd: ROOT}).status !== 0) {
    problem ??= new Error('git diff src is not empty after the audit');
  }

  console.log(
    '\n| mutant | file in `src/streaming/` | mutation | result |\n| --- | --- | --- | --- |'
  );
  for (const {m, result} of rows) {
    console.log(
      `| \`${m.name}\` | \`${m.file.replace('src/streaming/', '')}\` | ${cell(m.what)} | ${result} |`
    );
  }
  const survived = rows.filter(r => r.result === 'SURVIVED').length;
  const equivalent = rows.filter(r => r.result.startsWith('survived: equivalent')).length;
  const notRun = rows.filter(r => r.result.startsWith('not run')).length;
  console.log(
    `\n${rows.length - survived - equivalent - notRun} caught, ${survived} survived, ` +
      `${equivalent} equivalent, ${notRun} not run (of ${rows.length}).`
  );
  if (problem != null) {
    console.error(problem.message);
    process.exit(2);
  }
  process.exit(survived + notRun === 0 ? 0 : 1);
}

main();
