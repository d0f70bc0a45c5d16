import type { QuickPickItem } from 'vscode';
import { DEFAULT_DISK_GIB, type Generation, type GuestOs } from '../engine';
import type { CommandHandler } from './context';
import { vmNameProblem } from './names';

interface Choice<T> extends QuickPickItem {
  value: T;
}

const STEPS = 4;
const title = (step: number): string => `New Virtual Machine (${step}/${STEPS})`;

/** A free default name: `lab-vm-1`, `lab-vm-2`... */
function suggestName(taken: readonly string[]): string {
  const lower = new Set(taken.map((name) => name.toLowerCase()));
  for (let n = 1; ; n++) if (!lower.has(`lab-vm-${n}`)) return `lab-vm-${n}`;
}

/**
 * New VM as a short multi-step input: name (validated as R4, unique), guest OS, disk size,
 * generation, each with the SPEC's default first. Reveals the new VM.
 */
export const createVm: CommandHandler = async (context) => {
  const prompter = context.prompter();
  const lab = await context.lab();
  const vms = await lab.listVms();
  const name = await prompter.input({
    title: title(1),
    prompt: 'Name of the virtual machine (1-100 characters, unique in the lab)',
    value: suggestName(vms.map((vm) => vm.Name)),
    validateInput: (value) => vmNameProblem(value, vms),
  });
  if (name === undefined) return undefined;

  const oses: Choice<GuestOs>[] = [
    { label: 'Linux', description: 'production checkpoints quiesce with a file-system freeze (default)', value: 'linux' },
    { label: 'Windows', description: 'production checkpoints quiesce with VSS', value: 'windows' },
  ];
  const os = await prompter.pick(oses, { title: title(2), placeHolder: 'Guest operating system' });
  if (!os) return undefined;

  const sizes: Choice<number>[] = [DEFAULT_DISK_GIB, 1, 2, 8, 16, 32, 64].map((gib) => ({
    label: `${gib} GiB`,
    description: gib === DEFAULT_DISK_GIB ? 'default; sparse, so it costs only what is written' : undefined,
    value: gib,
  }));
  const size = await prompter.pick(sizes, { title: title(3), placeHolder: 'Virtual disk size (ext4, sparse)' });
  if (!size) return undefined;

  const generations: Choice<Generation>[] = [
    { label: 'Generation 2', description: 'UEFI (default)', value: 2 },
    { label: 'Generation 1', description: 'BIOS', value: 1 },
  ];
  const generation = await prompter.pick(generations, { title: title(4), placeHolder: 'Generation' });
  if (!generation) return undefined;

  const vm = await context.ops.run(
    `New VM '${name.trim()}' (${os.value}, ${size.value} GiB, generation ${generation.value})`,
    () => lab.createVm({ name, guestOs: os.value, diskSizeGiB: size.value, generation: generation.value }),
    { progress: 'notification' },
  );
  await context.reveal(vm.Id);
  return vm;
};
