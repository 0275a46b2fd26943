// Compares the op's forward against ONNX Runtime Web (the `BENCH_ONLY=peers` rows of
// bench/node.ts) across commits, in rounds that alternate the commits, so that a slow minute of
// a shared machine lands on every commit alike. For "did this refactor change the speed?":
//   node scripts/bench-commits.mjs 8d0a606 HEAD [--rounds 6]
// Each commit is checked out as a git worktree under build/bench-commits/ (removed after) and
// its bench built there; the ONNX files come from bench/out/onnx (bench/torch_ref.py --onnx).
// Prints per commit and shape the median of ours (ms) and of ORT-web / ours, with the range.
import {execFileSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, rmSync, symlinkSync} from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 6;
const commits = args;
if (commits.length < 2 || !(rounds >= 1)) {
  console.error('usage: node scripts/bench-commits.mjs <commit> <commit>... [--rounds N]');
  process.exit(2);
}
if (!existsSync('bench/out/onnx')) {
  execFileSync('/usr/bin/python3', ['bench/torch_ref.py', '--onnx', 'bench/out/onnx'], {
    stdio: 'inherit',
  });
}

const root = path.resolve('build/bench-commits');
mkdirSync(root, {recursive: true});
const trees = commits.map((commit, i) => {
  const dir = path.join(root, `${i}-${commit.replace(/[^\w.-]/g, '_')}`);
  rmSync(dir, {recursive: true, force: true});
  execFileSync('git', ['worktree', 'add', '--force', '--detach', dir, commit], {stdio: 'ignore'});
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  cpSync('bench/out/onnx', path.join(dir, 'bench/out/onnx'), {recursive: true});
  execFileSync(
    'npx',
    [
      'esbuild',
      'bench/node.ts',
      '--bundle',
      '--platform=node',
      '--outfile=build/bench-node.cjs',
      '--external:@tensorflow/*',
      '--external:onnxruntime-*',
      '--log-level=error',
    ],
    {cwd: dir, stdio: 'inherit'}
  );
  return {commit, dir};
});

/** samples[commit][shape] = {ours: ms[], ratio: ortWeb / ours []}. */
const samples = new Map(commits.map(c => [c, new Map()]));
try {
  for (let round = 1; round <= rounds; round++) {
    for (const {commit, dir} of trees) {
      const out = execFileSync('node', ['build/bench-node.cjs'], {
        cwd: dir,
        env: {...process.env, BENCH_ONLY: 'peers'},
        encoding: 'utf8',
      });
      const rows = out
        .split('\n')
        .filter(line => line.startsWith('{'))
        .map(line => JSON.parse(line));
      for (const row of rows) {
        const shape = samples.get(commit).get(row.shape) ?? {ours: [], ratio: []};
        shape.ours.push(row.oursFwd);
        shape.ratio.push(row.ortWebRatio);
        samples.get(commit).set(row.shape, shape);
      }
      console.log(`round ${round}/${rounds}: ${commit} done`);
    }
  }
} finally {
  for (const {dir} of trees) {
    execFileSync('git', ['worktree', 'remove', '--force', dir], {stdio: 'ignore'});
  }
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const shapes = [...samples.get(commits[0]).keys()];
console.log(
  `\n| commit | ${shapes.map(s => `${s}: ours ms, ORT-web / ours (range)`).join(' | ')} |`
);
console.log(`| --- | ${shapes.map(() => '---').join(' | ')} |`);
for (const commit of commits) {
  const cells = shapes.map(s => {
    const {ours, ratio} = samples.get(commit).get(s);
    const range = `${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)}`;
    return `${median(ours).toFixed(2)}, ${median(ratio).toFixed(2)} (${range})`;
  });
  console.log(`| ${commit} | ${cells.join(' | ')} |`);
}
