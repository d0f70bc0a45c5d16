/** Open editors with unsaved changes inside a linked folder (not excluded). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildRules } from './core';
import type { Link } from './links';

/** Dirty text documents of files under the link's folder, by relative path ('/'-separated). */
export function dirtyDocuments(link: Link): Map<string, vscode.TextDocument> {
  const rules = buildRules(link.hostPath, { excludes: link.excludes, useGitignore: link.useGitignore });
  const out = new Map<string, vscode.TextDocument>();
  for (const document of vscode.workspace.textDocuments) {
    if (!document.isDirty || document.uri.scheme !== 'file') continue;
    const rel = path.relative(link.hostPath, document.uri.fsPath);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const posix = rel.split(path.sep).join('/');
    if (rules.excludesPath(posix, false)) continue;
    out.set(posix, document);
  }
  return out;
}

/**
 * After Roll Out wrote a file an editor had unsaved changes for: show the file's new content.
 * The revert command acts on the active editor, so it runs only once that editor is the
 * document's, and again (up to three times) while the document is still dirty.
 */
export async function revertDocuments(documents: readonly vscode.TextDocument[]): Promise<void> {
  for (const document of documents) {
    for (let attempt = 0; attempt < 3 && document.isDirty && !document.isClosed; attempt++) {
      await vscode.window.showTextDocument(document, { preview: false, preserveFocus: false });
      if (vscode.window.activeTextEditor?.document !== document) continue;
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }
}

export function listNames(paths: readonly string[], max = 5): string {
  const shown = paths.slice(0, max).join(', ');
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}
