import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import type { LabNode } from '../../src/tree/nodes';
import { checkpointNode, children, choosePath, getApi, pick, press, runWith, showView, type, unique, vmNode, waitFor } from './helpers';

interface Sync {
  written: string[];
  removed: string[];
  skipped: string[];
}

describe('Dev/UAT loop (link, Roll In, Roll Out, the one-step commands, the task type)', function () {
  this.timeout(120_000);
  let api: CheckpointLabApi;
  const name = unique('loop');
  let folder: string;
  const file = (rel: string) => path.join(folder, rel);
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(file(rel)), { recursive: true });
    fs.writeFileSync(file(rel), text);
  };
  const guest = async (rel: string): Promise<string | undefined> => {
    const lab = await api.lab();
    const p = `/srv/app/${rel}`;
    return (await lab.fileExists(name, p)) ? (await lab.readFile(name, p)).toString() : undefined;
  };
  const linkNode = async (): Promise<LabNode> => {
    const found = (await children(api, await vmNode(api, name))).find((n) => n.kind === 'link');
    assert.ok(found, 'a link node under the VM');
    return found;
  };
  const editUnsaved = async (rel: string, text: string): Promise<vscode.TextDocument> => {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file(rel)));
    await vscode.window.showTextDocument(document);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), text);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(document.isDirty);
    return document;
  };

  before(async () => {
    api = await getApi();
    await showView();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    folder = path.join(root, name);
    write('index.js', 'v1');
    write('lib/util.js', 'util');
    write('old.txt', 'old');
    write('debug.log', 'excluded');
    await (await api.lab()).createVm({ name, diskSizeGiB: 1 });
  });

  afterEach(async () => {
    // a test that failed midway must not leave unsaved editors for the next one to trip on
    for (const document of vscode.workspace.textDocuments.filter((d) => d.isDirty && d.uri.fsPath.startsWith(folder))) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('Link Folder to VM from the VM node: folder dialog, guest path (validated), excludes, .gitignore; the link shows under the VM', async () => {
    const run = await runWith(
      api,
      'checkpointLab.link.create',
      [
        choosePath(folder),
        type('/srv/app', [
          ['/', /below '\/'/],
          ['/run/app', /memory/],
          ['srv', /absolute/],
        ]),
        type('.git, *.log'),
        pick('Ignore .gitignore'),
      ],
      await vmNode(api, name),
    );
    run.prompter.assertDone();
    const node = await linkNode();
    assert.equal(api.tree.getTreeItem(node).contextValue, 'link');
    assert.match(String(api.tree.getTreeItem(node).description), /\/srv\/app/);
  });

  it('Roll In copies added files, excluded ones stay out; then only what changed, removals propagated', async () => {
    let run = await runWith<Sync>(api, 'checkpointLab.loop.rollIn', [], await linkNode());
    run.prompter.assertDone();
    assert.deepEqual([...run.result.written].sort(), ['index.js', 'lib/util.js', 'old.txt']);
    assert.equal(await guest('debug.log'), undefined);
    assert.match(run.prompter.infos.at(-1)!, /3 copied/);
    write('index.js', 'v2');
    fs.rmSync(file('old.txt'));
    write('new/added.txt', 'added');
    run = await runWith<Sync>(api, 'checkpointLab.loop.rollIn', [], await linkNode());
    run.prompter.assertDone();
    assert.deepEqual([...run.result.written].sort(), ['index.js', 'new/added.txt']);
    assert.deepEqual(run.result.removed, ['old.txt']);
    assert.equal(await guest('index.js'), 'v2');
    assert.equal(await guest('old.txt'), undefined);
    assert.ok(api.operations.history.some((line) => /Roll In .*done in \d+ ms/.test(line)));
  });

  it('Roll In offers to save unsaved editors first: Cancel changes nothing, "Save All and Roll In" saves and rolls in', async () => {
    const document = await editUnsaved('index.js', 'v3 unsaved');
    let run = await runWith<Sync>(api, 'checkpointLab.loop.rollIn', [press(undefined)], await linkNode());
    run.prompter.assertDone();
    assert.match(run.prompter.prompts[0].text, /1 file has unsaved changes/);
    assert.equal(await guest('index.js'), 'v2');
    run = await runWith<Sync>(api, 'checkpointLab.loop.rollIn', [press('Save All and Roll In')], await linkNode());
    run.prompter.assertDone();
    assert.equal(document.isDirty, false);
    assert.equal(await guest('index.js'), 'v3 unsaved');
  });

  it('Roll Out asks before overwriting unsaved editors: "Keep My Changes" skips them, "Overwrite" replaces them', async () => {
    const lab = await api.lab();
    await lab.writeFile(name, '/srv/app/index.js', 'from the VM');
    await lab.writeFile(name, '/srv/app/lib/made.js', 'made in the VM');
    await lab.writeFile(name, '/srv/app/vm.log', 'excluded in the VM');
    const document = await editUnsaved('index.js', 'mine, unsaved');
    let run = await runWith<Sync>(api, 'checkpointLab.loop.rollOut', [press('Keep My Changes')], await linkNode());
    run.prompter.assertDone();
    assert.match(run.prompter.prompts[0].text, /would overwrite 1 file with unsaved changes/);
    assert.deepEqual(run.result.skipped, ['index.js']);
    assert.equal(fs.readFileSync(file('lib/made.js'), 'utf8'), 'made in the VM');
    assert.equal(fs.readFileSync(file('index.js'), 'utf8'), 'v3 unsaved');
    assert.ok(!fs.existsSync(file('vm.log')), 'excluded paths are never touched');
    assert.equal(fs.readFileSync(file('debug.log'), 'utf8'), 'excluded');
    run = await runWith<Sync>(api, 'checkpointLab.loop.rollOut', [press('Overwrite')], await linkNode());
    run.prompter.assertDone();
    assert.deepEqual(run.result.written, ['index.js']);
    assert.equal(fs.readFileSync(file('index.js'), 'utf8'), 'from the VM');
    await waitFor(() => !document.isDirty && document.getText() === 'from the VM', 10_000, 'the editor shows the rolled-out text');
  });

  it('Roll In and Checkpoint from the VM node, then Apply and Roll Out from a checkpoint node restores the folder', async () => {
    const lab = await api.lab();
    let run = await runWith<{ checkpoint: { Name: string } }>(api, 'checkpointLab.loop.rollInAndCheckpoint', [], await vmNode(api, name));
    run.prompter.assertDone();
    const good = run.result.checkpoint.Name;
    await lab.renameCheckpoint(name, good, 'good');
    write('index.js', 'broken');
    write('lib/bad.js', 'bad');
    run = await runWith(api, 'checkpointLab.loop.rollInAndCheckpoint', [], await linkNode());
    run.prompter.assertDone();
    assert.equal(await guest('index.js'), 'broken');
    assert.equal((await lab.listCheckpoints({ vm: name })).length, 2);
    const restore = await runWith<{ sync: Sync & { guestRead: boolean } }>(api, 'checkpointLab.loop.applyAndRollOut', [press('Apply')], await checkpointNode(api, name, 'good'));
    restore.prompter.assertDone();
    assert.match(restore.prompter.prompts[0].text, /Apply checkpoint 'good' .* and roll its files out/);
    assert.equal(restore.result.sync.guestRead, false, 'the manifest knew what the checkpoint holds');
    assert.equal(fs.readFileSync(file('index.js'), 'utf8'), 'from the VM');
    assert.ok(!fs.existsSync(file('lib/bad.js')));
  });

  it('the checkpoint-lab task type: checkpoint, roll-in and revert run from tasks', async () => {
    const lab = await api.lab();
    const tasks = await vscode.tasks.fetchTasks({ type: 'checkpoint-lab' });
    const find = (action: string) => {
      const task = tasks.find((t) => t.definition.action === action && t.definition.vm === name);
      assert.ok(task, `a ${action} task for ${name} (tasks: ${tasks.map((t) => t.name).join(', ')})`);
      return task;
    };
    const runTask = async (task: vscode.Task) => {
      const ended = new Promise<void>((resolve) => {
        const subscription = vscode.tasks.onDidEndTask((event) => {
          if (event.execution.task.name === task.name) {
            subscription.dispose();
            resolve();
          }
        });
      });
      await vscode.tasks.executeTask(task);
      await ended;
    };
    const before = (await lab.listCheckpoints({ vm: name })).length;
    await runTask(find('checkpoint'));
    await waitFor(async () => (await lab.listCheckpoints({ vm: name })).length === before + 1, 10_000, 'the task took a checkpoint');
    write('index.js', 'from a task');
    await runTask(find('roll-in'));
    await waitFor(async () => (await guest('index.js')) === 'from a task', 10_000, 'the roll-in task copied the file');
    await runTask(find('revert'));
    await waitFor(async () => (await guest('index.js')) === 'from the VM', 10_000, 'the revert task restored the checkpoint');
  });

  it('bad input: a Saved VM, a linked folder that is gone: a clear error, nothing changed', async () => {
    const lab = await api.lab();
    await lab.start(name);
    await lab.save(name);
    write('index.js', 'never rolled in');
    let run = await runWith(api, 'checkpointLab.loop.rollIn', [], await linkNode());
    run.prompter.assertDone({ errors: true });
    assert.deepEqual(run.prompter.errors, [`The virtual machine '${name}' is Saved; its disks cannot be changed in that state.`]);
    assert.equal(await guest('index.js'), 'from the VM');
    await lab.removeSavedState(name);
    const moved = `${folder}-moved`;
    fs.renameSync(folder, moved);
    try {
      run = await runWith(api, 'checkpointLab.loop.rollIn', [], await linkNode());
      run.prompter.assertDone({ errors: true });
      assert.match(run.prompter.errors[0], /The linked folder '.*' does not exist\./);
      run = await runWith(api, 'checkpointLab.loop.rollOut', [], await linkNode());
      assert.match(run.prompter.errors[0], /does not exist/);
      assert.ok(!fs.existsSync(folder), 'Roll Out did not recreate the folder');
      assert.equal(await guest('index.js'), 'from the VM');
    } finally {
      fs.renameSync(moved, folder);
    }
  });

  it('Remove Link takes the node away; the VM and the folder stay', async () => {
    const run = await runWith(api, 'checkpointLab.link.remove', [], await linkNode());
    run.prompter.assertDone();
    await waitFor(async () => !(await children(api, await vmNode(api, name))).some((n) => n.kind === 'link'), 5_000, 'the link node is gone');
    assert.ok(fs.existsSync(file('index.js')));
  });
});
