/**
 * Links between a host folder (a workspace folder or a subfolder) and a folder in a VM's
 * disk, kept in workspace state: each with its exclude globs (.gitignore syntax) and
 * whether the folder's .gitignore files count too. A link names its VM by Id, so it
 * survives a rename.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LinkSpec } from './core';
import { normalizeLinkGuestPath } from './core';

export interface Link {
  id: string;
  vmId: string;
  /** Absolute host folder. */
  hostPath: string;
  guestPath: string;
  excludes: string[];
  useGitignore: boolean;
}

export const LINKS_KEY = 'checkpointLab.links';
/** Excludes a new link gets unless the user changes them. */
export const DEFAULT_EXCLUDES = ['.git', 'node_modules'];

export function linkSpec(link: Link): LinkSpec {
  return { vm: link.vmId, hostPath: link.hostPath, guestPath: link.guestPath, excludes: link.excludes, useGitignore: link.useGitignore };
}

/** `app → /srv/app` style label: the folder, relative to the workspace when inside it. */
export function linkLabel(link: Link): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(link.hostPath));
  if (!folder) return link.hostPath;
  const rel = path.relative(folder.uri.fsPath, link.hostPath);
  const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return rel ? (multi ? `${folder.name}/${rel.split(path.sep).join('/')}` : rel.split(path.sep).join('/')) : folder.name;
}

export class LinkStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly memento: vscode.Memento) {}

  all(): Link[] {
    const stored = this.memento.get<Link[]>(LINKS_KEY, []);
    return Array.isArray(stored) ? stored.filter((l) => l && typeof l.id === 'string' && typeof l.vmId === 'string') : [];
  }

  forVm(vmId: string): Link[] {
    return this.all().filter((l) => l.vmId.toLowerCase() === vmId.toLowerCase());
  }

  get(id: string): Link | undefined {
    return this.all().find((l) => l.id === id);
  }

  /** Adds a link (validated); the same VM, guest path and folder twice is refused. */
  async add(input: Omit<Link, 'id'>): Promise<Link> {
    const link: Link = {
      id: randomUUID(),
      vmId: input.vmId,
      hostPath: path.resolve(input.hostPath),
      guestPath: normalizeLinkGuestPath(input.guestPath),
      excludes: input.excludes.map((e) => e.trim()).filter((e) => e.length > 0),
      useGitignore: input.useGitignore,
    };
    const existing = this.all();
    if (existing.some((l) => l.vmId === link.vmId && l.guestPath === link.guestPath && l.hostPath === link.hostPath)) {
      throw new Error(`'${link.hostPath}' is already linked to ${link.guestPath} of this virtual machine.`);
    }
    await this.memento.update(LINKS_KEY, [...existing, link]);
    this.emitter.fire();
    return link;
  }

  async update(link: Link): Promise<void> {
    await this.memento.update(
      LINKS_KEY,
      this.all().map((l) => (l.id === link.id ? link : l)),
    );
    this.emitter.fire();
  }

  async remove(id: string): Promise<void> {
    await this.memento.update(
      LINKS_KEY,
      this.all().filter((l) => l.id !== id),
    );
    this.emitter.fire();
  }

  /** Links of VMs that no longer exist are dropped. */
  async prune(vmIds: ReadonlySet<string>): Promise<void> {
    const kept = this.all().filter((l) => vmIds.has(l.vmId));
    if (kept.length !== this.all().length) {
      await this.memento.update(LINKS_KEY, kept);
      this.emitter.fire();
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
