import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { ESLint } from 'eslint';

// DESIGN.md house rule 1: the engine never imports vscode. The lint config enforces it;
// this test makes sure the enforcement itself cannot silently disappear.
describe('lint: the engine layer stays free of vscode', () => {
  const root = join(__dirname, '..', '..', '..');
  const eslint = new ESLint({ cwd: root });

  async function errorsFor(relativePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(root, relativePath) });
    return result.messages.filter((m) => m.severity === 2).map((m) => m.message);
  }

  it("refuses `import * as vscode from 'vscode'` under src/engine", async () => {
    const errors = await errorsFor('src/engine/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.ok(errors.some((m) => /must not import vscode/.test(m)), errors.join('\n'));
  });

  it('refuses UI code under src/engine', async () => {
    const errors = await errorsFor('src/engine/probe.ts', "import { x } from '../tree/vmTree';\nexport const y = x;\n");
    assert.ok(errors.some((m) => /must not import UI or CLI code/.test(m)), errors.join('\n'));
  });

  it('allows vscode outside the engine', async () => {
    const errors = await errorsFor('src/tree/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.deepEqual(errors, []);
  });
});
