/** Export's questions (R23): a folder, then the disk format (VHDX by default, or raw). */
import type { QuickPickItem } from 'vscode';
import type { DiskFormat } from '../engine';
import type { Prompter } from '../services/prompter';

export interface ExportTarget {
  dir: string;
  diskFormat: DiskFormat;
}

interface FormatItem extends QuickPickItem {
  format: DiskFormat;
}

export async function askExportTarget(prompter: Prompter, what: string): Promise<ExportTarget | undefined> {
  const folders = await prompter.openDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Export Here',
    title: `Export ${what}: choose a folder (a subfolder named after the VM is created in it)`,
  });
  const folder = folders?.[0];
  if (!folder) return undefined;
  const formats: FormatItem[] = [
    { label: 'VHDX', description: 'dynamic VHDX that Hyper-V, qemu-img and other tools open (default)', format: 'vhdx' },
    { label: 'Raw', description: 'a raw disk image: the ext4 file system itself', format: 'raw' },
  ];
  const format = await prompter.pick(formats, { title: `Export ${what}: disk format` });
  if (!format) return undefined;
  return { dir: folder.fsPath, diskFormat: format.format };
}
