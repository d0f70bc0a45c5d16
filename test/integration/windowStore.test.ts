/**
 * A window whose workspace folder is a `checkpoint-lab:` URI (Open Disk, Browse in a new
 * window) works on the lab that URI names, found in the store registry, not on an empty
 * store in its own workspace storage (SPEC section 4).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import type { LabHost } from '../../src/services/labHost';
import { resolveWindowStoreLocation, StoreRegistry } from '../../src/services/storeLocation';
import { storeLocationForWindow } from '../../src/services/windowStore';
import { getApi, unique } from './helpers';

const ID = '7d3c1f2e-0000-4000-8000-00000000abcd';

describe('Store location of a checkpoint-lab: window', () => {
  let api: CheckpointLabApi;
  let scratch: string;
  /** The extension's own LabHost class (importing it here would bundle the engine twice). */
  const newHost = (location: ConstructorParameters<typeof LabHost>[0]): LabHost => {
    const Host = api.host.constructor as typeof LabHost;
    return new Host(location, api.registry, api.output);
  };

  before(async () => {
    api = await getApi();
    scratch = mkdtempSync(join(tmpdir(), 'cl-window-store-'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("takes the store of the window's first checkpoint-lab: folder from the registry", () => {
    const registry = new StoreRegistry(join(scratch, 'global'));
    const store = join(scratch, 'the-lab');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'lab.json'), '{}');
    registry.record(ID, store);
    const base = { workspaceStorage: join(scratch, 'ws'), globalStorage: join(scratch, 'global'), lookup: (id: string) => registry.lookup(id) };
    const labFolder = { scheme: 'checkpoint-lab', authority: ID };
    const fileFolder = { scheme: 'file', authority: '' };

    assert.deepEqual(resolveWindowStoreLocation({ ...base, folders: [labFolder] }), { path: store, source: 'registry', storeId: ID });
    // the first folder decides: a saved multi-root workspace that added lab folders keeps its own store
    assert.deepEqual(resolveWindowStoreLocation({ ...base, folders: [labFolder, fileFolder] }), { path: store, source: 'registry', storeId: ID });
    assert.deepEqual(resolveWindowStoreLocation({ ...base, folders: [fileFolder, labFolder] }), { path: join(scratch, 'ws'), source: 'workspace' });
    assert.deepEqual(resolveWindowStoreLocation({ ...base, folders: [] }), { path: join(scratch, 'ws'), source: 'workspace' });
    // the setting still wins
    assert.deepEqual(resolveWindowStoreLocation({ ...base, folders: [labFolder], setting: '/labs/one' }), { path: '/labs/one', source: 'setting' });
  });

  it('says so when the Id is not known, or its folder holds no lab any more', () => {
    const registry = new StoreRegistry(join(scratch, 'global2'));
    const base = { workspaceStorage: join(scratch, 'ws'), globalStorage: join(scratch, 'global2'), lookup: (id: string) => registry.lookup(id) };
    const unknown = resolveWindowStoreLocation({ ...base, folders: [{ scheme: 'checkpoint-lab', authority: 'no-such-store' }] });
    assert.equal(unknown.source, 'registry');
    assert.equal(unknown.storeId, 'no-such-store');
    assert.match(unknown.unavailable ?? '', /the lab store 'no-such-store' of this window's folder is not known on this machine/);
    assert.match(unknown.unavailable ?? '', /checkpointLab\.storeLocation/);

    registry.record(ID, join(scratch, 'gone'));
    const gone = resolveWindowStoreLocation({ ...base, folders: [{ scheme: 'checkpoint-lab', authority: ID }] });
    assert.match(gone.unavailable ?? '', /was recorded at '.*gone', which no longer holds a lab/);
  });

  it("this (file) window's location is unchanged: workspace storage", () => {
    const location = storeLocationForWindow({ storageUri: api.storageUri, globalStorageUri: api.globalStorageUri } as vscode.ExtensionContext, api.registry);
    assert.deepEqual(location, api.storeLocation);
  });

  it("a host for a checkpoint-lab: window opens this window's lab: same store, same VMs", async () => {
    const lab = await api.lab();
    const name = unique('shared');
    await lab.createVm({ name });
    const location = resolveWindowStoreLocation({
      workspaceStorage: join(scratch, 'other-window-storage'),
      globalStorage: api.globalStorageUri.fsPath,
      folders: [vscode.Uri.from({ scheme: 'checkpoint-lab', authority: lab.storeId, path: '/now/x/web' })],
      lookup: (id) => api.registry.lookup(id),
    });
    assert.equal(location.source, 'registry');
    assert.equal(location.path, lab.root);
    const host = newHost(location);
    try {
      const other = await host.lab();
      assert.equal(other.storeId, lab.storeId);
      assert.equal(other.root, lab.root);
      assert.ok((await other.listVms()).some((vm) => vm.Name === name), 'the VM shows in the other window');
      assert.ok(!existsSync(join(scratch, 'other-window-storage')), 'no store in the new window\'s own storage');
    } finally {
      await host.close();
      await lab.removeVm({ name }).catch(() => undefined);
    }
  });

  it('a host for an unknown store refuses with the message and creates nothing', async () => {
    const storage = join(scratch, 'unknown-window-storage');
    const location = resolveWindowStoreLocation({
      workspaceStorage: storage,
      globalStorage: api.globalStorageUri.fsPath,
      folders: [vscode.Uri.from({ scheme: 'checkpoint-lab', authority: 'not-a-known-store', path: '/now/x/web' })],
      lookup: (id) => api.registry.lookup(id),
    });
    const host = newHost(location);
    try {
      await assert.rejects(host.lab(), /not known on this machine/);
      assert.deepEqual(await host.saveAllRunning(), []);
      assert.ok(!existsSync(storage), 'nothing created in workspace storage');
    } finally {
      await host.close();
    }
  });
});
