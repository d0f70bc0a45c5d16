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
    const link = pane.getByRole('button', { name: 'Create a virtual machine' });
    await link.waitFor({ state: 'visible', timeout: 30_000 });
    const shot = await workbench.screenshot('01-welcome-view');
    assert.ok(existsSync(shot));
  });
});
