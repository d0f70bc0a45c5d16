import * as vscode from 'vscode';
import type { VerifyResult } from '../engine';
import type { CommandHandler } from './context';

export function verifyReport(result: VerifyResult, storeRoot: string, storeId: string, when: Date): string {
  const lines = [
    '# Checkpoint Lab: store inspection',
    '',
    `- Store: \`${storeRoot}\``,
    `- Store Id: \`${storeId}\``,
    `- Inspected: ${when.toISOString()}`,
    `- Result: ${result.Healthy ? '**healthy**: every file checksum and reference is correct.' : `**${result.Problems.length} problem${result.Problems.length === 1 ? '' : 's'} found**`}`,
    '',
  ];
  if (!result.Healthy) {
    lines.push('| File | Problem |', '|---|---|');
    for (const problem of result.Problems) lines.push(`| \`${problem.File}\` | ${problem.Problem.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    lines.push('');
  }
  lines.push('Inspection (R29) recovers an interrupted operation first, then checks; it changes nothing else.', '');
  return lines.join('\n');
}

/** Inspect Store (R29): verification results in a readable Markdown document. */
export const inspectStore: CommandHandler = async (context) => {
  const lab = await context.lab();
  const result = await context.ops.run('Inspect store', () => lab.verify(), { progress: 'notification' });
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: verifyReport(result, lab.root, lab.storeId, new Date()) });
  await vscode.window.showTextDocument(document, { preview: false });
  if (result.Healthy) context.prompter().info('The lab store is healthy.');
  else context.prompter().warn(`The lab store has ${result.Problems.length} problem${result.Problems.length === 1 ? '' : 's'}; see the report.`);
  return result;
};
