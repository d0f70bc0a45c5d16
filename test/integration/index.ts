/**
 * Entry point the VS Code extension host loads (extensionTestsPath). Runs every
 * compiled *.test.js next to this file with mocha and reports through the file
 * named by CHECKPOINT_LAB_TEST_REPORT, because the host's console is not ours.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

interface Outcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) found.push(path);
  }
  return found.sort();
}

export function run(): Promise<void> {
  // With a report file the runner prints results; without one (test:electron) mocha prints them.
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: process.env.CHECKPOINT_LAB_TEST_REPORT ? 'base' : 'spec' });
  const grep = process.env.CHECKPOINT_LAB_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const file of testFiles(__dirname)) mocha.addFile(file);

  const outcomes: Outcome[] = [];
  const report = () => {
    const path = process.env.CHECKPOINT_LAB_TEST_REPORT;
    if (path) writeFileSync(path, JSON.stringify(outcomes, null, 2));
  };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      report();
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => outcomes.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration }));
    runner.on('fail', (test, error: Error) =>
      outcomes.push({ title: test.fullTitle(), state: 'failed', error: `${error.message}\n${error.stack ?? ''}` }),
    );
    runner.on('pending', (test) => outcomes.push({ title: test.fullTitle(), state: 'pending' }));
  });
}
