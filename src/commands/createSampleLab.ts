import type { Lab, VmInfo } from '../engine';
import type { CommandHandler } from './context';

/** The first free name among `base`, `base-2`, `base-3`... */
function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
  taken.add(name.toLowerCase());
  return name;
}

export interface SampleLab {
  web: VmInfo;
  db: VmInfo;
}

/**
 * Builds the sample: `sample-web` with a branch (Base install -> Feature A, and Base install ->
 * Feature B -> Feature B running), production checkpoints of the Off VM and a standard
 * checkpoint with memory of the running VM; `sample-db` with one production checkpoint.
 */
export async function buildSampleLab(lab: Lab, step: (message: string) => void = () => undefined): Promise<SampleLab> {
  const taken = new Set((await lab.listVms()).map((vm) => vm.Name.toLowerCase()));
  const webName = freeName('sample-web', taken);
  const dbName = freeName('sample-db', taken);

  step(`Creating '${webName}'`);
  const web = await lab.createVm({ name: webName, guestOs: 'linux', diskSizeGiB: 4 });
  const id = { id: web.Id };
  await lab.editFiles(id, async (files) => {
    await files.writeFile('/app/index.html', '<h1>Hello from the sample lab</h1>\n', { createParents: true });
    await files.writeFile('/app/app.conf', 'version=1\nfeature=none\n', { createParents: true });
    await files.writeFile('/etc/motd', 'Welcome to sample-web, a Checkpoint Lab VM.\n', { createParents: true });
  });
  step('Taking production checkpoints');
  const base = await lab.checkpoint(id, { name: 'Base install' });
  await lab.setCheckpointNotes(id, { id: base.checkpoint.Id }, 'Fresh install: app version 1.');
  await lab.writeFile(id, '/app/app.conf', 'version=2\nfeature=a\n');
  await lab.checkpoint(id, { name: 'Feature A' });
  step('Branching from Base install');
  await lab.apply(id, { id: base.checkpoint.Id });
  await lab.writeFile(id, '/app/app.conf', 'version=2\nfeature=b\n');
  await lab.checkpoint(id, { name: 'Feature B' });
  step('Starting and taking a standard checkpoint with memory');
  await lab.setVm(id, { checkpointType: 'Standard' });
  await lab.start(id);
  await lab.writeFile(id, '/run/session.txt', 'in memory only: kept by a standard checkpoint\n');
  await lab.checkpoint(id, { name: 'Feature B running' });

  step(`Creating '${dbName}'`);
  const db = await lab.createVm({ name: dbName, guestOs: 'linux', diskSizeGiB: 2 });
  await lab.writeFile({ id: db.Id }, '/var/lib/db/data.csv', 'id,name\n1,alice\n2,bob\n', { createParents: true });
  await lab.checkpoint({ id: db.Id }, { name: 'Seed data' });
  await lab.writeFile({ id: db.Id }, '/var/lib/db/data.csv', 'id,name\n1,alice\n2,bob\n3,carol\n');
  return { web: await lab.getVm(id), db: await lab.getVm({ id: db.Id }) };
}

/** Create Sample Lab: two VMs with files and a checkpoint tree with a branch, so a newcomer sees the product at once. */
export const createSampleLab: CommandHandler = async (context) => {
  const lab = await context.lab();
  const sample = await context.ops.run('Create sample lab', ({ step }) => buildSampleLab(lab, step), { progress: 'notification' });
  await context.reveal(sample.web.Id, sample.web.ParentCheckpointId ?? undefined);
  return sample;
};
