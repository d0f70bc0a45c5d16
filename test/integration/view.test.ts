import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import { children, descendants, getApi, labelOf, outline, runWith, unique, vmNode, waitFor } from './helpers';

describe('The Virtual Machines view', () => {
  let api: CheckpointLabApi;

  before(async () => {
    api = await getApi();
  });

  it('keeps the store in workspace storage, records its Id in the registry, and gives terminals CHECKPOINT_LAB_STORE', async () => {
    const lab = await api.lab();
    assert.equal(api.storeLocation.source, 'workspace');
    assert.equal(api.storeLocation.path, api.storageUri!.fsPath);
    assert.equal(lab.root, api.storeLocation.path);
    assert.ok(existsSync(join(lab.root, 'lab.json')));
    assert.equal(api.registry.lookup(lab.storeId), lab.root);
    assert.ok(api.registry.file.startsWith(api.globalStorageUri.fsPath));
    const variable = api.environment.get('CHECKPOINT_LAB_STORE');
    assert.equal(variable?.value, lab.root);
    assert.equal(variable?.type, vscode.EnvironmentVariableMutatorType.Replace);
  });

  it('Create Sample Lab makes two VMs with files, a branch, production and standard checkpoints', async () => {
    const lab = await api.lab();
    const { result, prompter } = await runWith<{ web: { Name: string }; db: { Name: string } }>(api, 'checkpointLab.lab.createSample', []);
    prompter.assertDone();
    const web = result.web.Name;
    assert.deepEqual(await outline(api, web), ['Base install', '  Feature A', '  Feature B', '    Feature B running', '      Now']);
    assert.deepEqual(await outline(api, result.db.Name), ['Seed data', '  Now']);
    const checkpoints = await lab.listCheckpoints({ vm: web });
    assert.ok(checkpoints.some((c) => c.CheckpointType === 'Production'));
    assert.ok(checkpoints.some((c) => c.CheckpointType === 'Standard' && c.HasSavedState));
    assert.match((await lab.readFile(web, '/app/app.conf')).toString(), /feature=b/);
    assert.equal(api.tree.getTreeItem(await vmNode(api, web)).description, 'Running · Standard');
    await lab.turnOff(web);
  });

  it('every tree node has a stable id, and getParent walks back to its VM', async () => {
    await api.tree.refresh();
    for (const vm of await children(api)) {
      assert.equal(api.tree.getParent(vm), undefined);
      for (const node of await descendants(api, vm)) {
        const item = api.tree.getTreeItem(node);
        assert.equal(item.id, node.id);
        let parent = api.tree.getParent(node);
        while (parent && parent.kind !== 'vm') parent = api.tree.getParent(parent);
        assert.equal(parent?.id, vm.id, `${labelOf(api, node)} leads back to ${labelOf(api, vm)}`);
      }
    }
    const first = (await children(api))[0];
    const again = (await api.tree.refresh()).roots[0];
    assert.equal(first.id, again.id);
  });

  it('refreshes within a second when the CLI in another process changes the store (R31)', async function () {
    const cli = join(vscode.extensions.getExtension('checkpoint-lab.checkpoint-lab')!.extensionPath, 'dist', 'cli.js');
    if (!existsSync(cli)) this.skip();
    const name = unique('fromcli');
    await api.tree.refresh();
    const exit = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [cli, 'new-vm', '--name', name], { env: { ...process.env, CHECKPOINT_LAB_STORE: api.storeLocation.path }, stdio: 'ignore' });
      child.on('exit', (code) => resolve(code ?? -1));
    });
    assert.equal(exit, 0, 'the CLI created the VM while the extension has the store open');
    const waited = await waitFor(async () => (await api.tree.getChildren())!.some((n) => n.vm.Name === name), 1_000, `'${name}' in the tree`);
    assert.ok(waited <= 1_000, `shown after ${waited} ms`);
    this.test!.title += `: shown ${waited} ms after the CLI exited`;
  });

  it('Refresh reloads, Inspect Store opens a readable report of a healthy store', async () => {
    let run = await runWith<number>(api, 'checkpointLab.view.refresh', []);
    run.prompter.assertDone();
    assert.ok(run.result > 0);
    run = await runWith(api, 'checkpointLab.store.inspect', []);
    run.prompter.assertDone();
    assert.deepEqual(run.prompter.infos, ['The lab store is healthy.']);
    const document = vscode.window.activeTextEditor?.document;
    assert.equal(document?.languageId, 'markdown');
    assert.match(document!.getText(), /# Checkpoint Lab: store inspection/);
    assert.match(document!.getText(), /\*\*healthy\*\*/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Collapse All runs without error', async () => {
    await vscode.commands.executeCommand('checkpointLab.virtualMachines.focus');
    const run = await runWith(api, 'checkpointLab.view.collapseAll', []);
    run.prompter.assertDone();
  });

  it('the status bar shows the selected VM and its state', async () => {
    const lab = await api.lab();
    const name = unique('status');
    await lab.createVm({ name });
    await lab.start(name);
    const node = await vmNode(api, name);
    await api.view.reveal(node, { select: true });
    await waitFor(() => api.statusBar.text === `$(vm-running) ${name}: Running`, 2_000, 'the status bar');
    await lab.pause(name);
    await waitFor(() => api.statusBar.text === `$(debug-pause) ${name}: Paused`, 2_000, 'the status bar after an engine event');
    await lab.turnOff(name);
  });

  it('logs each operation with its duration in the "Checkpoint Lab" output channel', async () => {
    assert.equal(api.output.name, 'Checkpoint Lab');
    const lab = await api.lab();
    const name = unique('logged');
    await lab.createVm({ name });
    await runWith(api, 'checkpointLab.vm.start', [], await vmNode(api, name));
    await runWith(api, 'checkpointLab.vm.resume', [], await vmNode(api, name));
    const history = api.operations.history;
    assert.match(history.find((line) => line.startsWith(`Start '${name}'`)) ?? '', /^Start '.*': done in \d+ ms$/);
    assert.match(
      history.find((line) => line.startsWith(`Resume '${name}'`)) ?? '',
      new RegExp(`^Resume '${name}': failed after \\d+ ms: The operation cannot be performed while the virtual machine '${name}' is in the Running state\\.$`),
    );
    await lab.turnOff(name);
  });
});
