import {execFileSync, spawnSync} from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {specBackend} from '../backend';
import {expectClose} from '../helpers';
import {refForward, refGradients} from '../reference';

import {SMALL, smallOperands} from './wasm_heap_case';

interface Thrown {
  name: string;
  message: string;
}

interface Report {
  crashed?: string;
  op: Thrown | null;
  training: Thrown | null;
  separableKernel: Thrown | null;
  matMulKernel: Thrown | null;
  leaked: number;
  full: {y: number[]; dx: number[]} | {error: string};
  freed: {y: number[]; dx: number[]} | {error: string};
}

/** The child's report: it fills ~4 GiB of tfjs-wasm's heap, so it runs in a process of its own. */
function runChild(): Report {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-heap-'));
  try {
    const bundle = path.join(folder, 'child.cjs');
    execFileSync(path.join(process.cwd(), 'node_modules/.bin/esbuild'), [
      'spec/node/wasm_heap_child.ts',
      '--bundle',
      '--platform=node',
      '--external:@tensorflow/*',
      `--outfile=${bundle}`,
      '--log-level=warning',
    ]);
    const child = spawnSync(process.execPath, [bundle], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 300000,
      env: {...process.env, NODE_PATH: path.join(process.cwd(), 'node_modules')},
    });
    const line = child.stdout
      .split('\n')
      .reverse()
      .find(l => l.startsWith('{'));
    if (line == null) {
      return {
        crashed: `exit ${child.status} ${child.signal ?? ''}: ${child.stderr.slice(-2000)}`,
      } as Report;
    }
    return JSON.parse(line);
  } finally {
    fs.rmSync(folder, {recursive: true, force: true});
  }
}

/** The small call's values against the float64 reference. */
function expectReference(result: Report['full'], when: string): void {
  if ('error' in result) {
    fail(`the small call ${when} threw ${result.error}`);
    return;
  }
  const {x, dw, pw, g} = smallOperands();
  expectClose(result.y, refForward(SMALL, x, dw, pw).y, `y ${when}`);
  expectClose(result.dx, refGradients(SMALL, x, dw, pw, g).dx, `dx ${when}`);
}

describe('wasm heap within 100 MiB of 4 GiB (issue #28 item 5)', () => {
  beforeEach(() => {
    if (specBackend() !== 'wasm') pending('the child process runs wasm: once, in the wasm suite');
  });

  it('calls whose scratch does not fit are ValueErrors and the backend computes right after', () => {
    const report = runChild();
    expect(report.crashed).toBeUndefined();
    // The op counts its kernels' scratch before it runs anything.
    expect(report.op?.name).toBe('ValueError');
    expect(report.op?.message).toMatch(/separableConv1d: this forward needs about 1\d\d MiB/);
    expect(report.training?.name).toBe('ValueError');
    expect(report.training?.message).toMatch(/training step needs about \d+ MiB/);
    // The kernels themselves, called past the op's check, find no room for their scratch.
    expect(report.separableKernel?.name).toBe('ValueError');
    expect(report.separableKernel?.message).toMatch(
      /DepthSeparableConv1dSeparable: .* no room for the 134\d{6} bytes/
    );
    expect(report.matMulKernel?.name).toBe('ValueError');
    expect(report.matMulKernel?.message).toMatch(
      /DepthSeparableConv1dMatMul: .* no room for the 134\d{6} bytes/
    );
    expect(report.leaked).toBe(0);
    expectReference(report.full, 'with the heap nearly full');
    expectReference(report.freed, 'once the heap is freed');
  });
});
