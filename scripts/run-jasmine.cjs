// Runs one bundled spec file with jasmine in Node on the backend named by TFJS_BACKEND, and
// ends with a line `RESULT {"suite", "passed", "failed", "skipped"}` for scripts/test.mjs.
const Jasmine = require('jasmine');

async function main() {
  const [specFile, suite] = process.argv.slice(2);
  const runner = new Jasmine();
  runner.exitOnCompletion = false;
  runner.loadConfig({spec_files: [specFile], random: false});
  runner.configureDefaultReporter({showColors: process.stdout.isTTY === true});
  const counts = {suite, passed: 0, failed: 0, skipped: 0};
  runner.addReporter({
    specDone(r) {
      if (r.status === 'passed') counts.passed++;
      else if (r.status === 'failed') counts.failed++;
      else counts.skipped++;
    },
    suiteDone(r) {
      if (r.failedExpectations.length > 0) counts.failed++;
    },
    jasmineDone(r) {
      if (r.failedExpectations.length > 0) counts.failed++;
    },
  });
  // SPEC_FILTER: run only the specs whose full names match (a regular expression), while working.
  await runner.execute(undefined, process.env.SPEC_FILTER || undefined);
  console.log('RESULT ' + JSON.stringify(counts));
}
main().catch(e => {
  console.error(e);
  console.log(
    'RESULT ' + JSON.stringify({suite: process.argv[3], passed: 0, failed: 1, skipped: 0})
  );
});
