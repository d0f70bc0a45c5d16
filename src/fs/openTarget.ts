/**
 * Where Open Disk and Browse open a VM's files (SPEC section 5). Pure logic, unit tested.
 *
 * - A saved multi-root workspace (its workspace file is a real file, not `untitled:`):
 *   add a workspace folder; the workspace keeps its storage, so the lab stays visible.
 * - Anything else (a single folder, an empty window, an untitled workspace): a new window.
 *   Adding a folder to a single-folder window would turn it into an untitled workspace
 *   with other workspace storage, which hides this window's lab (its store lives there).
 * - The folder is already in this window: just reveal it.
 */

export type OpenDecision = 'newWindow' | 'addFolder' | 'alreadyOpen';

/** What the user (or a test) asked for; 'auto' applies the rules above. */
export type OpenPreference = 'auto' | 'newWindow' | 'currentWindow';

export interface WorkspaceShape {
  /** The scheme of vscode.workspace.workspaceFile, undefined when there is none. */
  workspaceFileScheme: string | undefined;
  /** The workspace folders' URIs, as strings. */
  folders: readonly string[];
}

export function decideOpenTarget(workspace: WorkspaceShape, folderUri: string, preference: OpenPreference = 'auto'): OpenDecision {
  if (workspace.folders.includes(folderUri)) return 'alreadyOpen';
  if (preference === 'newWindow') return 'newWindow';
  if (preference === 'currentWindow') return 'addFolder';
  const savedWorkspace = workspace.workspaceFileScheme !== undefined && workspace.workspaceFileScheme !== 'untitled';
  return savedWorkspace ? 'addFolder' : 'newWindow';
}

/** Reads an optional `{ openIn: 'newWindow' | 'currentWindow' }` from a command's arguments. */
export function openPreferenceOf(args: readonly unknown[]): OpenPreference {
  for (const arg of args) {
    if (typeof arg === 'object' && arg !== null && !Array.isArray(arg) && 'openIn' in arg) {
      const value = (arg as { openIn: unknown }).openIn;
      if (value === 'newWindow' || value === 'currentWindow' || value === 'auto') return value;
    }
  }
  return 'auto';
}
