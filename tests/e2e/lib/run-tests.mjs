// Runs test files one at a time with node's own test runner, each file under a time limit,
// and prints the spec reporter's output with its closing summary.
//
//   node tests/e2e/lib/run-tests.mjs [--timeout MS] FILE...
//
// Why not `node --test --test-concurrency=1 --test-timeout=MS`: those two flags came in
// Node 20.10 and 20.11, and Debian 12's own Node is 18.20, where they are "bad option". The
// run() API has taken `concurrency` and `timeout` since Node 18.9, and the reporters since
// 18.17, so one script serves both.
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 18 || (major === 18 && minor < 17)) {
  console.error(`run-tests: Node.js ${process.versions.node} found; the tests need 18.17 or newer`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { timeout: 90000, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--timeout') args.timeout = Number(argv[++i]);
    else if (a.startsWith('-')) throw new Error(`run-tests: unknown option ${a}`);
    else args.files.push(path.resolve(a));
  }
  if (!Number.isInteger(args.timeout) || args.timeout <= 0) throw new Error('run-tests: --timeout takes milliseconds');
  if (args.files.length === 0) throw new Error('run-tests: no test file given');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const options = { files: args.files, concurrency: 1, timeout: args.timeout };
// The spec reporter is a class in Node 20 and a function returning the same Transform
// stream in Node 18: `new` gives the stream with either.
const reporter = new spec();
run(options)
  .on('test:fail', (event) => { if (!event.todo && !event.skip) process.exitCode = 1; })
  .compose(reporter)
  .pipe(process.stdout);
