// Runs the examples of the user's pages (README.md, docs/*.md) as a user would paste them, in a
// project where the packed package is installed (scripts/e2e.mjs makes it). A ```js block that
// imports the package by name is one program; a line `// prints: TEXT` in it says what its
// output must contain. A ```python block that imports torch runs too when python3 has torch,
// and a JS block that says "what Python printed" must print the same numbers.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {build} from 'esbuild';

const PACKAGE_IMPORT = /from 'tfjs-depth-separable-conv1d(\/node|\/runtime)?'/;

/** The fenced code blocks of a Markdown text, in order: `[{lang, code}]`. */
export function codeBlocks(markdown) {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, code]) => ({
    lang,
    code,
  }));
}

/** A python3 that has torch, or null. */
function torchPython() {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], {stdio: 'ignore'}).status === 0) return python;
  }
  return null;
}

/** The numbers of the first output line that starts with `[`. */
function printedNumbers(output) {
  const line = output.split('\n').find(l => l.trim().startsWith('['));
  return line ? line.match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number) : [];
}

/**
 * What `tensorflowjs_converter` writes for the Keras model of docs/interop.md, in `folder`:
 * model.json with the topology of the tf.keras fixture the specs use, and one weights shard.
 */
async function writeKerasFolder(folder) {
  const out = await build({
    entryPoints: ['spec/fixtures/keras_models.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  const fixtures = await import(
    `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`
  );
  const weights = fixtures.kerasWeightSpecs('separable_conv1d', 'dense');
  const size = weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  mkdirSync(folder, {recursive: true});
  writeFileSync(
    `${folder}/model.json`,
    JSON.stringify({
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: fixtures.kerasSequential,
      weightsManifest: [{paths: ['group1-shard1of1.bin'], weights}],
    })
  );
  const values = Float32Array.from({length: size}, (_, i) => Math.sin(i + 1) / 2);
  writeFileSync(`${folder}/group1-shard1of1.bin`, Buffer.from(values.buffer));
}

/**
 * Runs every example of `pages` (paths from the repository root) in the project `dir`. Returns
 * `{ran: [{page, index, lang, code, lines, output}], skipped: [{page, index, why}]}`; throws on
 * the first example that fails, naming it.
 */
export async function runDocExamples(dir, pages) {
  await writeKerasFolder(`${dir}/keras_model`);
  const python = torchPython();
  const ran = [];
  const skipped = [];
  let pythonPrinted = null;
  for (const page of pages) {
    for (const [index, {lang, code}] of codeBlocks(readFileSync(page, 'utf8')).entries()) {
      const name = `${page} block ${index}`;
      if (lang === 'python' && /^import torch$/m.test(code)) {
        if (!python) {
          skipped.push({page, index, why: 'python3 has no torch'});
          continue;
        }
        const file = `${dir}/doc_example.py`;
        writeFileSync(file, code);
        pythonPrinted = execFileSync(python, ['doc_example.py'], {cwd: dir, encoding: 'utf8'});
        ran.push({
          page,
          index,
          lang,
          code,
          lines: code.trim().split('\n').length,
          output: pythonPrinted,
        });
        continue;
      }
      if (lang !== 'js' || !PACKAGE_IMPORT.test(code)) continue;
      const comparesPython = /what Python printed/.test(code);
      if (comparesPython && pythonPrinted == null) {
        skipped.push({
          page,
          index,
          why: 'needs the output of the Python block before it (python3 with torch)',
        });
        continue;
      }
      writeFileSync(`${dir}/doc_example.mjs`, code + '\nconsole.log("example ran");\n');
      const run = spawnSync('node', ['doc_example.mjs'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 180000,
      });
      const output = `${run.stdout}${run.stderr}`;
      if (!run.stdout.includes('example ran'))
        throw new Error(`${name} failed:\n${code}\n${output}`);
      for (const [, expected] of code.matchAll(/^\/\/ prints: (.*)$/gm)) {
        if (!run.stdout.includes(expected))
          throw new Error(`${name} should print "${expected}":\n${run.stdout}`);
      }
      if (comparesPython) {
        const [ours, theirs] = [printedNumbers(run.stdout), printedNumbers(pythonPrinted)];
        if (
          ours.length === 0 ||
          ours.length !== theirs.length ||
          ours.some((v, i) => Math.abs(v - theirs[i]) > 1e-3 * (1 + Math.abs(theirs[i])))
        ) {
          throw new Error(`${name} printed ${ours}, PyTorch printed ${theirs}`);
        }
      }
      ran.push({
        page,
        index,
        lang,
        code,
        lines: code.trim().split('\n').length,
        output: run.stdout,
      });
    }
  }
  if (!existsSync(`${dir}/keras_model/model.json`))
    throw new Error('the Keras folder went missing');
  return {ran, skipped};
}
