/** Shared fixtures for the guest tests: formatted memory disks and external-tool checks. */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryBlockDevice } from '../../../src/engine/disk/blockDevice';
import { formatDisk, GIB } from '../../../src/engine/guest/format';
import { GuestFs } from '../../../src/engine/guest/guestFs';

export function formattedDevice(sizeGiB = 1): MemoryBlockDevice {
  const device = new MemoryBlockDevice(sizeGiB * GIB);
  formatDisk(device, sizeGiB);
  return device;
}

export async function mountedGuest(sizeGiB = 1, label = "'web-01'"): Promise<{ device: MemoryBlockDevice; guest: GuestFs }> {
  const device = formattedDevice(sizeGiB);
  return { device, guest: await GuestFs.mount(device, { label }) };
}

/** A read-only view of a device (what the store hands out for a checkpoint). */
export function readOnlyView(device: MemoryBlockDevice): MemoryBlockDevice {
  const view = Object.create(device) as MemoryBlockDevice;
  Object.defineProperty(view, 'readOnly', { value: true });
  view.write = () => {
    throw new Error('The disk is read-only.');
  };
  view.discard = () => {
    throw new Error('The disk is read-only.');
  };
  return view;
}

/** A copy of a device's bytes (a frozen checkpoint for compare tests). */
export function snapshotOf(device: MemoryBlockDevice): MemoryBlockDevice {
  const copy = new MemoryBlockDevice(device.capacity);
  const buffer = Buffer.alloc(64 * 1024);
  for (const range of device.allocatedRanges()) {
    device.read(buffer, 0, range.length, range.position);
    copy.write(buffer, 0, range.length, range.position);
  }
  copy.readOnly = true;
  return copy;
}

const toolCache = new Map<string, boolean>();
export function hasTool(tool: string): boolean {
  if (!toolCache.has(tool)) {
    const found = spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`]).status === 0;
    toolCache.set(tool, found);
  }
  return toolCache.get(tool)!;
}

export function toolPath(tool: string): string {
  for (const dir of ['/usr/sbin', '/sbin']) if (fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
  return tool;
}

/** Skips the current test with a message that shows in the output. */
export function requireTool(context: Mocha.Context, tool: string): void {
  if (!hasTool(tool)) {
    console.log(`      SKIPPED: '${tool}' is not installed (install ${tool === 'qemu-img' ? 'qemu-utils' : 'e2fsprogs'} to run this check)`);
    context.skip();
  }
}

export function run(tool: string, args: string[]): { status: number; output: string } {
  const result = spawnSync(toolPath(tool), args, { encoding: 'utf8' });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'guest-test-'));
}

export function e2fsckClean(image: string): { ok: boolean; output: string } {
  const { status, output } = run('e2fsck', ['-fn', image]);
  return { ok: status === 0, output };
}

export { execFileSync };
