import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { Workbench } from './workbench';

describe('UI: the Checkpoint Lab container (Playwright in the real workbench)', () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await Workbench.open();
  });

  after(async () => {
    await workbench?.close();
  });

  it('shows the Virtual Machines view with its welcome content when the lab is empty', async () => {
    const pane = await workbench.openCheckpointLab();
    for (const name of ['Create a virtual machine', 'Create Sample Lab']) {
      await pane.getByRole('button', { name }).waitFor({ state: 'visible', timeout: 30_000 });
    }
    const shot = await workbench.screenshot('01-welcome-view');
    assert.ok(existsSync(shot));
  });

  it('Create Sample Lab from the welcome view shows two VMs and a checkpoint tree with a branch', async () => {
    const pane = await workbench.openCheckpointLab();
    await pane.getByRole('button', { name: 'Create Sample Lab' }).click();
    await workbench.treeRow(pane, 'Feature B running').waitFor({ state: 'visible', timeout: 120_000 });
    await workbench.treeRow(pane, 'Seed data').waitFor({ state: 'visible', timeout: 60_000 });
    const labels = await workbench.treeLabels(pane);
    assert.deepEqual(labels, ['sample-db', 'Seed data', 'Now', 'sample-web', 'Base install', 'Feature A', 'Feature B', 'Feature B running', 'Now']);
    const running = await workbench.treeRow(pane, 'Feature B running').locator('.label-description').innerText();
    assert.match(running, /^Standard with memory · /);
    await workbench.widenSideBar();
    await workbench.screenshot('02-sample-lab');
  });
});
