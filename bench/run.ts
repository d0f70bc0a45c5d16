/**
 * `npm run bench`: every benchmark of DESIGN.md, one line per figure with the ratio
 * that matters, measured side by side in one run. Pass names to run a subset:
 *   npm run bench -- disk guest
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const suites = ['disk', 'guest', 'engine', 'cli', 'tree', 'fs', 'loop'];

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const selected = requested.length > 0 ? suites.filter((s) => requested.includes(s)) : suites;
  for (const name of selected) {
    const file = join(__dirname, `${name}.bench.ts`);
    if (!existsSync(file)) continue;
    process.stdout.write(`\n## ${name}\n`);
    const suite = require(file) as { main: () => Promise<void> };
    await suite.main();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
