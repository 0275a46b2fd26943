// Builds the package's WebAssembly SIMD kernels from their C sources with Debian's clang (14+)
// and wasm-ld into TypeScript modules that hold them as base64, so the package needs no .wasm
// file at run time (bundlers, <script> users) and neither its users nor CI need clang:
// - src/ops/kernels/wasm/depthwise.c -> depthwise_wasm.ts: the op's depthwise kernels on the
//   wasm backend, in three builds of the same source: two that work in tfjs-wasm's own memory
//   (imported: no copies), unshared (tfjs-wasm's SIMD build) or shared (its threaded build,
//   which cross-origin-isolated pages get even with one thread), and one with a memory of its
//   own (the arrays copied in and out), for a heap it cannot import;
// - src/ops/kernels/wasm/separable.c -> separable_wasm.ts: the op's matrix products and its
//   whole forward pass as one kernel, in tfjs-wasm's own memory only (unshared or shared);
// - src/streaming/program/simd/product.c -> product_wasm.ts: the streaming program's products,
//   in a small memory of each stream's own.
//   node scripts/build-wasm.mjs           rebuilds the TS modules
//   node scripts/build-wasm.mjs --check   fails if a committed module is not what its source
//                                         builds to (skipped, with a message, without clang)
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLANG = process.env.CLANG || 'clang';
// Chrome compiles modules up to 4 KB synchronously on the main thread; the kernels need that.
const SYNC_COMPILE_LIMIT = 4096;
const COMMON = [
  '--target=wasm32',
  '-msimd128',
  '-O3',
  '-nostdlib',
  '-Wl,--no-entry',
  '-Wl,--strip-all',
];

const MODULES = [
  {
    source: 'src/ops/kernels/wasm/depthwise.c',
    out: 'src/ops/kernels/wasm/depthwise_wasm.ts',
    // The SIMD is written out; clang's own vectorising and unrolling of the scalar tails would
    // only grow the module past the limit, and so would -O3 (4.2 KB with input_grad; -Os 3.8).
    flags: [
      '-Os',
      '-mbulk-memory',
      '-fno-vectorize',
      '-fno-slp-vectorize',
      '-fno-unroll-loops',
      '-Wl,--export-dynamic',
    ],
    builds: [
      {
        name: 'DEPTHWISE_WASM_OWN_MEMORY',
        doc: 'The depthwise module with a memory of its own',
        flags: ['-Wl,--export=__heap_base'],
        inHeap: false,
      },
      {
        name: 'DEPTHWISE_WASM_IMPORTED_MEMORY',
        doc: 'The depthwise module that imports `env.memory`',
        flags: ['-Wl,--import-memory'],
        inHeap: true,
      },
      {
        name: 'DEPTHWISE_WASM_SHARED_MEMORY',
        doc: 'The depthwise module that imports a shared `env.memory` (up to 4 GiB)',
        flags: [
          '-matomics',
          '-Wl,--import-memory',
          '-Wl,--shared-memory',
          '-Wl,--max-memory=4294967296',
        ],
        inHeap: true,
      },
    ],
  },
  {
    source: 'src/ops/kernels/wasm/separable.c',
    out: 'src/ops/kernels/wasm/separable_wasm.ts',
    // -Os keeps it under the limit (-O3: 4.7 KB) at the same speed: the inner loops are written
    // out in SIMD, and V8 compiles them again anyway (row A's forward 6.4 ms at -Os, 7.6 at -O3).
    flags: [
      '-Os',
      '-mbulk-memory',
      '-fno-vectorize',
      '-fno-slp-vectorize',
      '-fno-unroll-loops',
      '-Wl,--export-dynamic',
    ],
    builds: [
      {
        name: 'SEPARABLE_WASM_IMPORTED_MEMORY',
        doc: 'The products module that imports `env.memory`',
        flags: ['-Wl,--import-memory'],
        inHeap: true,
      },
      {
        name: 'SEPARABLE_WASM_SHARED_MEMORY',
        doc: 'The products module that imports a shared `env.memory` (up to 4 GiB)',
        flags: [
          '-matomics',
          '-Wl,--import-memory',
          '-Wl,--shared-memory',
          '-Wl,--max-memory=4294967296',
        ],
        inHeap: true,
      },
      // Relaxed SIMD's fused multiply-add (Chrome 114+, Node 22+), where WebAssembly.validate
      // takes it; the plain builds above elsewhere.
      {
        name: 'SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY',
        doc: "The products module with relaxed SIMD's multiply-add, importing `env.memory`",
        flags: ['-DRELAXED', '-mrelaxed-simd', '-Wl,--import-memory'],
        inHeap: true,
        relaxed: true,
      },
      {
        name: 'SEPARABLE_WASM_RELAXED_SHARED_MEMORY',
        doc: "The products module with relaxed SIMD's multiply-add, importing a shared `env.memory`",
        flags: [
          '-DRELAXED',
          '-mrelaxed-simd',
          '-matomics',
          '-Wl,--import-memory',
          '-Wl,--shared-memory',
          '-Wl,--max-memory=4294967296',
        ],
        inHeap: true,
        relaxed: true,
      },
    ],
  },
  {
    source: 'src/streaming/program/simd/product.c',
    out: 'src/streaming/program/simd/product_wasm.ts',
    flags: ['-fno-builtin'],
    builds: [
      {
        name: 'PRODUCT_WASM',
        doc: "The streaming program's SIMD product kernel (product.c)",
        flags: ['-Wl,--import-memory', '-Wl,-z,stack-size=4096'],
        inHeap: false,
      },
    ],
  },
];

/**
 * A build that runs in tfjs-wasm's heap writes only where it is told: no data segment, and no
 * use of the shadow stack (a global), which would sit at fixed addresses of tfjs-wasm's heap.
 */
function checkInHeap(wasm) {
  const dump = spawnSync('llvm-objdump-14', ['-d', '-h', wasm], {encoding: 'utf8'});
  if (dump.status !== 0)
    throw new Error('build-wasm: llvm-objdump-14 is needed to check the imported build');
  if (/\bDATA\b/.test(dump.stdout) || /global\.(get|set)/.test(dump.stdout)) {
    throw new Error('build-wasm: an imported-memory build has static data or uses the stack');
  }
}

/**
 * clang 14 emits relaxed SIMD's multiply-add under its prototype opcode (`f32x4.fma`, 0xfd 0xaf
 * 0x01); engines take only the final `f32x4.relaxed_madd` (0xfd 0x85 0x02: a * b + c for the
 * operands a, b, c, as separable.c's MADD passes them). Renumbered in place (both are three
 * bytes), after checking that the byte pattern occurs exactly where the disassembly has the
 * instruction and nowhere else.
 */
function renumberRelaxed(wasm) {
  const dump = spawnSync('llvm-objdump-14', ['-d', wasm], {encoding: 'utf8'});
  if (dump.status !== 0)
    throw new Error('build-wasm: llvm-objdump-14 is needed for the relaxed build');
  const instructions = dump.stdout.split('\n').filter(l => /\bf32x4\.fma\b/.test(l));
  const bytes = readFileSync(wasm);
  const at = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xfd && bytes[i + 1] === 0xaf && bytes[i + 2] === 0x01) at.push(i);
  }
  const listed = instructions.map(l => parseInt(l.trim().split(':')[0], 16));
  if (at.length === 0 || at.length !== listed.length) {
    throw new Error(
      `build-wasm: ${at.length} fma byte patterns against ${listed.length} instructions`
    );
  }
  // The disassembly's offsets count from the code section's start; each pattern lies at the
  // same distance from it.
  const shift = at[0] - listed[0];
  if (at.some((p, j) => p - listed[j] !== shift)) throw new Error('build-wasm: fma patterns off');
  for (const p of at) {
    bytes[p + 1] = 0x85;
    bytes[p + 2] = 0x02;
  }
  writeFileSync(wasm, bytes);
}

function build(module, variant) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsc1d-wasm-'));
  try {
    const wasm = path.join(dir, 'module.wasm');
    execFileSync(CLANG, [...COMMON, ...module.flags, ...variant.flags, '-o', wasm, module.source], {
      stdio: 'inherit',
    });
    if (variant.inHeap) checkInHeap(wasm);
    if (variant.relaxed) renumberRelaxed(wasm);
    const bytes = readFileSync(wasm);
    if (bytes.length > SYNC_COMPILE_LIMIT) {
      throw new Error(
        `build-wasm: ${variant.name} is ${bytes.length} bytes, over the ` +
          `${SYNC_COMPILE_LIMIT} that Chrome compiles synchronously on the main thread`
      );
    }
    return bytes;
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

function constant(name, doc, bytes) {
  const lines = bytes
    .toString('base64')
    .match(/.{1,96}/g)
    .map(l => `  '${l}'`)
    .join(' +\n');
  return `/** ${doc} (${bytes.length} bytes), base64. */\nexport const ${name} =\n${lines};\n`;
}

function moduleText(module) {
  return (
    `// Generated by scripts/build-wasm.mjs from ${path.basename(module.source)}: do not edit.\n\n` +
    module.builds.map(v => constant(v.name, v.doc, build(module, v))).join('\n')
  );
}

const check = process.argv.includes('--check');
if (spawnSync(CLANG, ['--version']).status !== 0) {
  if (check) {
    console.log(`build-wasm: no ${CLANG}; the committed modules are not checked.`);
    process.exit(0);
  }
  throw new Error(`build-wasm: ${CLANG} not found (Debian: apt-get install clang lld)`);
}
let stale = 0;
for (const module of MODULES) {
  const text = moduleText(module);
  if (!check) {
    writeFileSync(module.out, text);
    console.log(`build-wasm: wrote ${module.out}.`);
  } else if (readFileSync(module.out, 'utf8') !== text) {
    console.error(
      `build-wasm: ${module.out} is not what ${module.source} builds to: run node ` +
        `scripts/build-wasm.mjs`
    );
    stale++;
  } else {
    console.log(`build-wasm: ${module.out} is up to date.`);
  }
}
process.exit(stale === 0 ? 0 : 1);
