/** Runs last (file order): deactivation Saves Running and Paused VMs (lab rule, SPEC section 2). */
import { strict as assert } from 'node:assert';
import type { CheckpointLabApi } from '../../src/extension';
import { getApi, unique } from './helpers';

describe('Deactivation', () => {
  let api: CheckpointLabApi;

  before(async () => {
    api = await getApi();
  });

  it('saves every Running or Paused VM and leaves Off ones alone; the store opens again afterwards', async () => {
    const lab = await api.lab();
    const running = unique('deact-run');
    const paused = unique('deact-pause');
    const off = unique('deact-off');
    for (const name of [running, paused, off]) await lab.createVm({ name });
    await lab.start(running);
    await lab.writeFile(running, '/run/memory.txt', 'kept by Save');
    await lab.start(paused);
    await lab.pause(paused);

    const saved = await api.deactivate();
    assert.ok(saved.some((vm) => vm.Name === running));
    assert.ok(saved.some((vm) => vm.Name === paused));
    assert.ok(!saved.some((vm) => vm.Name === off));

    const reopened = await api.lab();
    assert.notEqual(reopened, lab, 'deactivate closed the Lab; the host opens a new one on demand');
    assert.equal((await reopened.getVm(running)).State, 'Saved');
    assert.equal((await reopened.getVm(paused)).State, 'Saved');
    assert.equal((await reopened.getVm(off)).State, 'Off');
    assert.equal((await reopened.listVms()).filter((vm) => vm.State === 'Running' || vm.State === 'Paused').length, 0);
    await reopened.start(running);
    assert.equal((await reopened.readFile(running, '/run/memory.txt')).toString(), 'kept by Save', 'Start resumes the saved memory');
    await reopened.turnOff(running);
  });
});
