// `npm run lint` (no argument): checks, writing nothing, that the TypeScript and JavaScript are
// formatted and pass the lint rules (Biome, biome.json) and that the C under src/ is formatted
// (clang-format 14, .clang-format). `npm run format` (--write): formats both in place.
// Exits non-zero when a check fails; a check ends with scripts/test.mjs's `RESULT` line (one
// passed or failed, plus one skipped when the C went unchecked: without clang-format 14, which
// .ci/run installs as Debian's clang-format-14).
import {spawnSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'));
const write = process.argv.includes('--write');

/** The C sources and headers under `dir`, recursively. */
function cSources(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return cSources(path);
    return /\.[ch]$/.test(entry.name) ? [path] : [];
  });
}

/**
 * clang-format 14 (its output differs between major versions, and CI installs Debian's 14):
 * `clang-format-14`, or a `clang-format` that is version 14; null when there is neither.
 */
function clangFormat() {
  for (const name of ['clang-format-14', 'clang-format']) {
    const probe = spawnSync(name, ['--version'], {encoding: 'utf8'});
    if (probe.status === 0 && /version 14\./.test(probe.stdout)) return name;
  }
  return null;
}

function run(cmd, args) {
  return spawnSync(cmd, args, {stdio: 'inherit'}).status === 0;
}

/**
 * Formats with Biome until a check finds nothing left: one pass is not always a fixed point (a
 * call chain it joins onto one line can then be laid out differently), a second one is.
 */
function biomeFormat() {
  for (let pass = 0; pass < 3; pass++) {
    run('npx', ['biome', 'format', '--write', '.']);
    if (spawnSync('npx', ['biome', 'format', '.'], {stdio: 'ignore'}).status === 0) return true;
  }
  return run('npx', ['biome', 'format', '.']);
}

const scriptsOk = write
  ? biomeFormat()
  : run('npx', ['biome', 'ci', '--error-on-warnings', '--max-diagnostics=50', '.']);
const clang = clangFormat();
const sources = cSources('src');
let cOk = true;
if (clang != null) {
  cOk = write ? run(clang, ['-i', ...sources]) : run(clang, ['--dry-run', '--Werror', ...sources]);
}
const hint = what => (write ? '' : ` (\`npm run format\` fixes ${what})`);
console.log(
  `lint: TypeScript/JavaScript ${scriptsOk ? 'ok' : 'FAILED'}` +
    (scriptsOk ? '' : hint('the formatting; a lint finding needs an edit')) +
    '; ' +
    (clang == null
      ? 'C not checked: no clang-format 14 (Debian package clang-format-14)'
      : `C (${sources.length} files) ${cOk ? 'ok' : 'FAILED'}${cOk ? '' : hint('it')}`)
);
if (!write) {
  const counts = {
    suite: 'lint',
    passed: scriptsOk && cOk ? 1 : 0,
    failed: scriptsOk && cOk ? 0 : 1,
    skipped: clang == null ? 1 : 0,
  };
  console.log(`RESULT ${JSON.stringify(counts)}`);
}
process.exit(scriptsOk && cOk ? 0 : 1);
