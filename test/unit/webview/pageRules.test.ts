import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkpointTypeFromControls } from '../../../src/webview/checkpointControls';
import { LIMITS, type CheckpointControls, type SettingsField } from '../../../src/webview/protocol';
import { fieldMessages, fieldProblem } from '../../../src/webview/validation';

// The page's own checks (plain script) must say what the host says, so that nothing the
// page lets through is refused by the host and every refusal reads the same.
const pageRules = require(path.join(__dirname, '..', '..', '..', 'media', 'settings', 'rules.js')) as {
  LIMITS: typeof LIMITS;
  messages: Record<string, string>;
  fieldProblem(field: SettingsField, value: unknown, platform: 'posix' | 'win32'): string | undefined;
  checkpointTypeOf(controls: CheckpointControls): string;
};

describe('Settings page: the page script checks values as the host does', () => {
  it('has the same limits and messages', () => {
    assert.deepEqual(pageRules.LIMITS, { ...LIMITS });
    assert.deepEqual(pageRules.messages, { ...fieldMessages });
  });

  it('judges the same values the same way', () => {
    const platform = process.platform === 'win32' ? 'win32' : 'posix';
    const values: Array<[SettingsField, unknown]> = [
      ['name', 'web-01'],
      ['name', ''],
      ['name', ' '],
      ['name', 'x'.repeat(100)],
      ['name', 'x'.repeat(101)],
      ['name', ` ${'x'.repeat(100)} `],
      ['name', 'tab\there'],
      ['name', 'bell\u0007'],
      ['name', 'del\u007f'],
      ['name', 'ünïcødé ✓'],
      ['notes', ''],
      ['notes', 'n'.repeat(65_536)],
      ['notes', 'n'.repeat(65_537)],
      ['snapshotFileLocation', '/srv/cp'],
      ['snapshotFileLocation', ' /srv/cp '],
      ['snapshotFileLocation', 'srv/cp'],
      ['snapshotFileLocation', ''],
      ['snapshotFileLocation', '/a\0b'],
      ['snapshotFileLocation', `/${'x'.repeat(4095)}`],
      ['snapshotFileLocation', `/${'x'.repeat(4096)}`],
      ['snapshotFileLocation', 'C:\\lab'],
      ['snapshotFileLocation', '\\\\server\\share'],
      ['memoryMiB', 32],
      ['memoryMiB', 31],
      ['memoryMiB', 65536],
      ['memoryMiB', 65537],
      ['memoryMiB', 1.5],
      ['memoryMiB', Number.NaN],
      ['backup', true],
    ];
    for (const [field, value] of values) {
      assert.equal(pageRules.fieldProblem(field, value, platform), fieldProblem(field, value), `${field} = ${JSON.stringify(value)?.slice(0, 40)}`);
    }
  });

  it('reads Windows paths as Node does on Windows', () => {
    for (const text of ['C:\\lab', 'c:/lab', '\\lab', '/lab', '\\\\server\\share', 'C:lab', 'lab', 'C:']) {
      assert.equal(pageRules.fieldProblem('snapshotFileLocation', text, 'win32') === undefined, path.win32.isAbsolute(text), text);
    }
  });

  it('shows the same CheckpointType for every combination of the controls', () => {
    for (const enabled of [true, false]) {
      for (const kind of ['Production', 'Standard'] as const) {
        for (const fallbackToStandard of [true, false]) {
          const controls = { enabled, kind, fallbackToStandard };
          assert.equal(pageRules.checkpointTypeOf(controls), checkpointTypeFromControls(controls));
        }
      }
    }
  });
});
