import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import { resolveStoreLocation } from '../../src/services/storeLocation';
import { children, getApi, unique, waitFor } from './helpers';

describe('Store location (SPEC section 4)', () => {
  let api: CheckpointLabApi;

  before(async () => {
    api = await getApi();
  });

  it('resolves the setting, then workspace storage, then global storage', () => {
    const base = { workspaceStorage: '/ws/storage', globalStorage: '/global', workspaceFolder: '/project' };
    assert.deepEqual(resolveStoreLocation(base), { path: '/ws/storage', source: 'workspace' });
    assert.deepEqual(resolveStoreLocation({ globalStorage: '/global' }), { path: '/global/store', source: 'global' });
    assert.deepEqual(resolveStoreLocation({ ...base, setting: '  ' }), { path: '/ws/storage', source: 'workspace' });
    assert.deepEqual(resolveStoreLocation({ ...base, setting: '/labs/one' }), { path: '/labs/one', source: 'setting' });
    assert.deepEqual(resolveStoreLocation({ ...base, setting: 'labs' }), { path: '/project/labs', source: 'setting' });
    assert.deepEqual(resolveStoreLocation({ ...base, setting: '${workspaceFolder}/.lab' }), { path: '/project/.lab', source: 'setting' });
    assert.deepEqual(resolveStoreLocation({ ...base, setting: '~/labs' }), { path: join(homedir(), 'labs'), source: 'setting' });
  });

  it('follows the checkpointLab.storeLocation setting: another store, registered, exported to terminals, and back', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cl-store-setting-'));
    const original = api.storeLocation.path;
    const config = vscode.workspace.getConfiguration('checkpointLab');
    const name = unique('elsewhere');
    try {
      await config.update('storeLocation', folder, vscode.ConfigurationTarget.Global);
      await waitFor(() => api.storeLocation.path === folder, 5_000, 'the host to switch stores');
      assert.equal(api.storeLocation.source, 'setting');
      assert.equal(api.environment.get('CHECKPOINT_LAB_STORE')?.value, folder);
      const lab = await api.lab();
      assert.equal(lab.root, folder);
      assert.equal(api.registry.lookup(lab.storeId), folder);
      await lab.createVm({ name });
      await waitFor(async () => (await children(api)).some((n) => n.vm.Name === name), 2_000, 'the other store in the tree');
    } finally {
      await config.update('storeLocation', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => api.storeLocation.path === original, 5_000, 'the host to switch back');
    assert.equal(api.environment.get('CHECKPOINT_LAB_STORE')?.value, original);
    await waitFor(async () => !(await children(api)).some((n) => n.vm.Name === name), 2_000, 'the workspace store in the tree again');
    assert.ok(existsSync(join(folder, 'lab.json')));
    rmSync(folder, { recursive: true, force: true });
  });
});
