/**
 * The checkpoint-lab file system in the real VS Code host, through vscode.workspace.fs
 * and open documents: Now read-write, checkpoints and Saved VMs refused with
 * NoPermissions and the SPEC's words, editors following Apply and another process's writes,
 * and the Compare / Open Disk commands.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointInfo, Lab, VmInfo } from '../../src/engine';
import type { CheckpointLabApi } from '../../src/extension';
import type { Comparison } from '../../src/fs/compare';
import { currentWorkspaceShape } from '../../src/fs/openFolder';
import { decideOpenTarget } from '../../src/fs/openTarget';
import { checkpointPath, nowPath, SCHEME } from '../../src/fs/uri';
import type { Prompter } from '../../src/services/prompter';

const extensionId = 'checkpoint-lab.checkpoint-lab';
const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function refused(promise: Thenable<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(Promise.resolve(promise), (error: unknown) => {
    assert.ok(error instanceof vscode.FileSystemError, `a FileSystemError, got ${String(error)}`);
    assert.equal(error.code, code, `code ${code}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Answers quick picks with the first item a test names, and records messages. */
class ScriptedPrompter implements Prompter {
  readonly messages: string[] = [];
  constructor(private readonly choose: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined) {}
  async pick<T extends vscode.QuickPickItem>(items: readonly T[]): Promise<T | undefined> {
    return this.choose(items) as T | undefined;
  }
  async input(): Promise<string | undefined> {
    return undefined;
  }
  async confirm(): Promise<string | undefined> {
    return undefined;
  }
  async openDialog(): Promise<vscode.Uri[] | undefined> {
    return undefined;
  }
  info(message: string): void {
    this.messages.push(message);
  }
  warn(message: string): void {
    this.messages.push(message);
  }
  error(message: string): void {
    this.messages.push(message);
  }
}

describe('checkpoint-lab file system (real VS Code host)', function () {
  this.timeout(120_000);
  let api: CheckpointLabApi;
  let lab: Lab;
  let vm: VmInfo;
  const name = `fs-${process.pid}-${Date.now().toString(36)}`;
  const nowUri = (guestPath = '/') => vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: nowPath(vm, guestPath) });
  const cpUri = (checkpoint: CheckpointInfo, guestPath = '/') =>
    vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: checkpointPath(vm, checkpoint, guestPath) });

  before(async () => {
    api = await vscode.extensions.getExtension<CheckpointLabApi>(extensionId)!.activate();
    lab = await api.lab();
    vm = await lab.createVm({ name, diskSizeGiB: 1 });
  });

  after(async () => {
    api.setPrompter(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await lab.removeVm({ id: vm.Id }).catch(() => undefined);
  });

  it('writes, reads, lists, renames and deletes files in Now', async () => {
    const fs = vscode.workspace.fs;
    await fs.createDirectory(nowUri('/app'));
    await fs.writeFile(nowUri('/app/a.txt'), text('alpha\n'));
    await fs.writeFile(nowUri('/app/b.txt'), text('beta\n'));
    assert.equal(decode(await fs.readFile(nowUri('/app/a.txt'))), 'alpha\n');
    assert.equal(decode(await lab.readFile({ id: vm.Id }, '/app/a.txt')), 'alpha\n', 'the write reached the guest');

    const stat = await fs.stat(nowUri('/app/a.txt'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, 6);
    assert.ok(!((stat.permissions ?? 0) & vscode.FilePermission.Readonly), 'Now is writable');

    const listing = new Map(await fs.readDirectory(nowUri('/app')));
    assert.deepEqual([...listing.keys()].sort(), ['a.txt', 'b.txt']);
    assert.equal(listing.get('a.txt'), vscode.FileType.File);
    assert.equal(new Map(await fs.readDirectory(nowUri('/'))).get('app'), vscode.FileType.Directory);

    await fs.rename(nowUri('/app/b.txt'), nowUri('/app/c.txt'));
    await refused(fs.stat(nowUri('/app/b.txt')), 'FileNotFound');
    assert.equal(decode(await fs.readFile(nowUri('/app/c.txt'))), 'beta\n');
    await refused(fs.rename(nowUri('/app/c.txt'), nowUri('/app/a.txt'), { overwrite: false }), 'FileExists');

    await fs.delete(nowUri('/app/c.txt'));
    await refused(fs.readFile(nowUri('/app/c.txt')), 'FileNotFound', /does not exist/);
    await refused(fs.readDirectory(nowUri('/app/a.txt')), 'FileNotADirectory');
    await refused(fs.readFile(nowUri('/app')), 'FileIsADirectory');
  });

  it("refuses '..' and NUL in paths and names an unknown store or VM", async () => {
    for (const path of [`${nowPath(vm)}/app/../../etc`, `/${vm.Name}/now/app/../../etc`]) {
      const dotdot = vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path });
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(dotdot)), (error: unknown) => error instanceof vscode.FileSystemError);
    }
    await refused(vscode.workspace.fs.readFile(nowUri(`/${'x/'.repeat(2050)}`)), 'NoPermissions', /longer than 4096/);
    await refused(vscode.workspace.fs.writeFile(nowUri('/app/a\0b'), text('x')), 'NoPermissions', /NUL/);
    await refused(vscode.workspace.fs.stat(vscode.Uri.from({ scheme: SCHEME, authority: 'no-such-store', path: '/now/x/web' })), 'Unavailable', /not known/);
    await refused(vscode.workspace.fs.stat(vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: '/now/no-such-vm-here/web' })), 'FileNotFound', /no-such-vm-here/);
    // the earlier layout names the VM by name: the message says a rename may be why
    await refused(
      vscode.workspace.fs.stat(vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: '/no-such-vm-here/now/etc' })),
      'FileNotFound',
      /no-such-vm-here.*if the VM was renamed, open its disk again/s,
    );
  });

  it('serves a checkpoint read-only: reads work, every write is NoPermissions', async () => {
    await vscode.workspace.fs.writeFile(nowUri('/app/a.txt'), text('in the checkpoint\n'));
    const { checkpoint } = await lab.checkpoint({ id: vm.Id }, { name: 'before change' });
    await vscode.workspace.fs.writeFile(nowUri('/app/a.txt'), text('changed after\n'));

    const fs = vscode.workspace.fs;
    assert.equal(decode(await fs.readFile(cpUri(checkpoint, '/app/a.txt'))), 'in the checkpoint\n');
    assert.equal(decode(await fs.readFile(nowUri('/app/a.txt'))), 'changed after\n');
    const stat = await fs.stat(cpUri(checkpoint, '/app/a.txt'));
    assert.ok((stat.permissions ?? 0) & vscode.FilePermission.Readonly, 'checkpoint files are read-only');
    assert.deepEqual((await fs.readDirectory(cpUri(checkpoint, '/app'))).map(([n]) => n), ['a.txt']);

    const readOnly = /checkpoint 'before change' .* read-only/;
    await refused(fs.writeFile(cpUri(checkpoint, '/app/a.txt'), text('nope')), 'NoPermissions');
    await refused(fs.delete(cpUri(checkpoint, '/app/a.txt')), 'NoPermissions', readOnly);
    await refused(fs.rename(cpUri(checkpoint, '/app/a.txt'), cpUri(checkpoint, '/app/z.txt')), 'NoPermissions', readOnly);
    await refused(fs.createDirectory(cpUri(checkpoint, '/new')), 'NoPermissions', readOnly);
    assert.equal(decode(await lab.readFile({ id: vm.Id }, '/app/a.txt', { checkpoint: { id: checkpoint.Id } })), 'in the checkpoint\n', 'nothing changed');
  });

  it("refuses writes to a Saved VM with the SPEC's message, and reads its files", async () => {
    await lab.start({ id: vm.Id });
    await lab.save({ id: vm.Id });
    try {
      const message = new RegExp(`The virtual machine '${name}' is Saved; its disks cannot be changed in that state\\.`);
      await refused(vscode.workspace.fs.writeFile(nowUri('/app/a.txt'), text('x')), 'NoPermissions', message);
      await refused(vscode.workspace.fs.writeFile(nowUri('/app/new.txt'), text('x')), 'NoPermissions', message);
      await refused(vscode.workspace.fs.delete(nowUri('/app/a.txt')), 'NoPermissions', message);
      await refused(vscode.workspace.fs.rename(nowUri('/app/a.txt'), nowUri('/app/q.txt')), 'NoPermissions', message);
      await refused(vscode.workspace.fs.createDirectory(nowUri('/app/d')), 'NoPermissions', message);
      assert.equal(decode(await vscode.workspace.fs.readFile(nowUri('/app/a.txt'))), 'changed after\n');
    } finally {
      await lab.removeSavedState({ id: vm.Id });
    }
  });

  it("after Apply, reads return the checkpoint's content and an open document shows it", async () => {
    const [checkpoint] = await lab.listCheckpoints({ vm: { id: vm.Id }, name: 'before change' });
    const document = await vscode.workspace.openTextDocument(nowUri('/app/a.txt'));
    assert.equal(document.getText(), 'changed after\n');
    const seen: vscode.Uri[] = [];
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === document) seen.push(event.document.uri);
    });
    try {
      await lab.apply({ id: vm.Id }, { id: checkpoint.Id });
      assert.equal(decode(await vscode.workspace.fs.readFile(nowUri('/app/a.txt'))), 'in the checkpoint\n');
      await waitFor('the open document to show the checkpoint content', () => document.getText() === 'in the checkpoint\n');
      assert.ok(seen.length > 0, 'a change event reached the document');
    } finally {
      listener.dispose();
    }
  });

  it('follows an Apply that restores a same-size file written within the same second', async () => {
    await vscode.workspace.fs.writeFile(nowUri('/same.txt'), text('AAAA'));
    const { checkpoint } = await lab.checkpoint({ id: vm.Id }, { name: 'same second' });
    const document = await vscode.workspace.openTextDocument(nowUri('/same.txt'));
    await vscode.workspace.fs.writeFile(nowUri('/same.txt'), text('BBBB'));
    await waitFor('the document to show BBBB', () => document.getText() === 'BBBB');
    await lab.apply({ id: vm.Id }, { id: checkpoint.Id });
    await waitFor('the document to show AAAA again', () => document.getText() === 'AAAA');
  });

  it('follows a write made by another process (the CLI)', async () => {
    const document = await vscode.workspace.openTextDocument(nowUri('/app/a.txt'));
    const cli = join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'dist', 'cli.js');
    const result = spawnSync(process.execPath, [cli, '--store', lab.root, 'write-vmfile', '--name', name, '--path', '/app/a.txt'], {
      input: 'written by the CLI\n',
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    await waitFor('the document to show the CLI write', () => document.getText() === 'written by the CLI\n', 15_000);
  });

  it('Compare with Now lists the changes and opens the diff of the chosen file', async () => {
    const { checkpoint } = await lab.checkpoint({ id: vm.Id }, { name: 'compare base' });
    await vscode.workspace.fs.writeFile(nowUri('/app/a.txt'), text('modified for compare\n'));
    await vscode.workspace.fs.writeFile(nowUri('/app/added.txt'), text('new\n'));
    await vscode.workspace.fs.delete(nowUri('/same.txt'));
    const prompter = new ScriptedPrompter((items) => items.find((item) => item.label === '/app/a.txt'));
    api.setPrompter(prompter);
    const node = { kind: 'checkpoint', id: `checkpoint/${vm.Id}/${checkpoint.Id}`, vm, checkpoint };
    const comparison = (await vscode.commands.executeCommand('checkpointLab.checkpoint.compareWithNow', node)) as Comparison;
    assert.deepEqual(
      comparison.changes.map((c) => `${c.Change} ${c.Path}`).sort(),
      ['Added /app/added.txt', 'Modified /app/a.txt', 'Removed /same.txt'],
    );
    assert.ok(comparison.opened, 'a diff was opened');
    await waitFor('the diff editor', () => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff && input.modified.toString() === nowUri('/app/a.txt').toString();
    });
    const input = vscode.window.tabGroups.activeTabGroup.activeTab!.input as vscode.TabInputTextDiff;
    assert.equal(input.original.toString(), cpUri(checkpoint, '/app/a.txt').toString());
    const original = await vscode.workspace.openTextDocument(input.original);
    assert.equal(original.getText(), 'written by the CLI\n');

    // an added file: the left side is empty
    const added = new ScriptedPrompter((items) => items.find((item) => item.label === '/app/added.txt'));
    api.setPrompter(added);
    const second = (await vscode.commands.executeCommand('checkpointLab.checkpoint.compareWithNow', node)) as Comparison;
    assert.equal(second.opened?.left.scheme, 'checkpoint-lab-empty');
    assert.equal((await vscode.workspace.openTextDocument(second.opened!.left)).getText(), '');
  });

  it('Compare Checkpoints diffs two checkpoints', async () => {
    const [first] = await lab.listCheckpoints({ vm: { id: vm.Id }, name: 'compare base' });
    const { checkpoint: later } = await lab.checkpoint({ id: vm.Id }, { name: 'compare later' });
    api.setPrompter(new ScriptedPrompter((items) => items.find((item) => item.label === '/app/a.txt')));
    const node = { kind: 'checkpoint', id: `checkpoint/${vm.Id}/${first.Id}`, vm, checkpoint: first };
    const comparison = (await vscode.commands.executeCommand('checkpointLab.checkpoint.compare', node, later.Id)) as Comparison;
    assert.equal(comparison.to?.Id, later.Id);
    assert.ok(comparison.changes.some((c) => c.Path === '/app/a.txt' && c.Change === 'Modified'));
    assert.equal(comparison.opened?.right.toString(), cpUri(later, '/app/a.txt').toString());
  });

  it('Open Disk in this single-folder window would open a new window (never an untitled workspace)', async () => {
    assert.equal(vscode.workspace.workspaceFile, undefined, 'the test window has one folder');
    assert.equal(decideOpenTarget(currentWorkspaceShape(), nowUri().toString()), 'newWindow');
    const packageJson = vscode.extensions.getExtension(extensionId)!.packageJSON as { activationEvents: string[] };
    assert.ok(packageJson.activationEvents.includes('onFileSystem:checkpoint-lab'));
  });

  it('lists the store, a VM and its checkpoints as read-only folders, with readable roots', async () => {
    const root = vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: '/' });
    const fs = vscode.workspace.fs;
    assert.deepEqual((await fs.readDirectory(root)).map(([n]) => n), ['now', 'checkpoints']);
    assert.ok((await fs.readDirectory(root.with({ path: '/now' }))).some(([n]) => n === vm.Id));
    assert.deepEqual((await fs.readDirectory(root.with({ path: `/now/${vm.Id}` }))).map(([n]) => n), [name]);
    assert.equal(nowUri().path, `/now/${vm.Id}/${name}`);
    const ids = (await fs.readDirectory(root.with({ path: `/checkpoints/${vm.Id}` }))).map(([n]) => n);
    const checkpoints = await lab.listCheckpoints({ vm: { id: vm.Id } });
    assert.deepEqual(ids.sort(), checkpoints.map((c) => c.Id).sort());
    const first = checkpoints[0];
    assert.deepEqual((await fs.readDirectory(root.with({ path: `/checkpoints/${vm.Id}/${first.Id}` }))).map(([n]) => n), [`${name} · ${first.Name}`]);
    assert.equal((await fs.stat(cpUri(first))).type, vscode.FileType.Directory);
    await refused(fs.createDirectory(root.with({ path: `/${name}/other` })), 'NoPermissions');
    await refused(fs.writeFile(root.with({ path: `/now/${vm.Id}` }), text('x')), 'NoPermissions', /holds only the virtual machine's disk/);
    await refused(fs.writeFile(root.with({ path: `/checkpoints/${vm.Id}/${first.Id}` }), text('x')), 'NoPermissions', /read-only/);
    // the earlier layout still works
    assert.deepEqual((await fs.readDirectory(root.with({ path: `/${name}` }))).map(([n]) => n), ['now', 'checkpoints']);
    assert.equal(decode(await fs.readFile(root.with({ path: `/${name}/now/app/a.txt` }))), decode(await fs.readFile(nowUri('/app/a.txt'))));
  });

  it('files stay open across a VM rename: the URI finds the VM by Id, its name is only a label', async () => {
    const before = nowUri('/app/a.txt');
    const content = decode(await vscode.workspace.fs.readFile(before));
    const renamed = `${name}-renamed`;
    await lab.renameVm({ id: vm.Id }, renamed);
    try {
      assert.equal(decode(await vscode.workspace.fs.readFile(before)), content, 'the old URI still reads');
      await vscode.workspace.fs.writeFile(before, text('after the rename\n'));
      assert.equal(decode(await lab.readFile({ id: vm.Id }, '/app/a.txt')), 'after the rename\n');
      const fresh = vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: nowPath(await lab.getVm({ id: vm.Id }), '/app/a.txt') });
      assert.equal(fresh.path, `/now/${vm.Id}/${renamed}/app/a.txt`);
      await refused(
        vscode.workspace.fs.readFile(vscode.Uri.from({ scheme: SCHEME, authority: lab.storeId, path: `/${name}/now/app/a.txt` })),
        'FileNotFound',
        /if the VM was renamed/,
      );
    } finally {
      await lab.renameVm({ id: vm.Id }, name);
    }
  });
});
