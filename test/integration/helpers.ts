/**
 * Helpers for the integration tests: the extension's API, a scripted prompter that answers
 * quick picks, input boxes, modals and dialogs as a user would (and records every message
 * shown), and tree walking.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { CheckpointLabApi } from '../../src/extension';
import type { ConfirmOptions, InputOptions, PickOptions, Prompter } from '../../src/services/prompter';
import type { LabNode } from '../../src/tree/nodes';

export const extensionId = 'checkpoint-lab.checkpoint-lab';

export async function getApi(): Promise<CheckpointLabApi> {
  const extension = vscode.extensions.getExtension<CheckpointLabApi>(extensionId);
  assert.ok(extension, `${extensionId} is loaded`);
  return extension.activate();
}

/** A VM name no other test file uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface PromptRecord {
  kind: 'pick' | 'input' | 'confirm' | 'openDialog';
  /** Title of a pick or input box, message of a modal. */
  text: string;
  detail?: string;
  buttons?: string[];
  items?: string[];
}

type Step =
  | { kind: 'pick'; choose: (items: readonly vscode.QuickPickItem[], options: PickOptions) => vscode.QuickPickItem | undefined }
  | { kind: 'input'; answer: (options: InputOptions) => string | undefined }
  | { kind: 'confirm'; answer: (message: string, buttons: string[]) => string | undefined }
  | { kind: 'openDialog'; answer: (options: vscode.OpenDialogOptions) => vscode.Uri[] | undefined };

const isSeparator = (item: vscode.QuickPickItem): boolean => item.kind === vscode.QuickPickItemKind.Separator;

/** Selects the item whose label matches (separators skipped); fails the prompt when none does. */
export function pick(label: string | RegExp, description?: string | RegExp): Step {
  const matches = (text: string | undefined, pattern: string | RegExp | undefined): boolean =>
    pattern === undefined || (typeof pattern === 'string' ? text === pattern : pattern.test(text ?? ''));
  return {
    kind: 'pick',
    choose: (items, options) => {
      const found = items.find((item) => !isSeparator(item) && matches(item.label, label) && matches(item.description, description));
      assert.ok(
        found,
        `quick pick '${options.title}' offers ${String(label)}; it offers ${items.filter((i) => !isSeparator(i)).map((i) => `${i.label} (${i.description ?? ''})`).join(', ')}`,
      );
      return found;
    },
  };
}

/** Accepts the quick pick's first (default) item. */
export function pickDefault(): Step {
  return { kind: 'pick', choose: (items) => items.find((item) => !isSeparator(item)) };
}

/**
 * Types value into an input box. The box's own validation must accept it; `rejects` lists
 * values the box must refuse, with the message it must show.
 */
export function type(value: string, rejects: Array<[string, string | RegExp]> = []): Step {
  return {
    kind: 'input',
    answer: (options) => {
      for (const [bad, message] of rejects) {
        const problem = options.validateInput?.(bad);
        assert.ok(problem, `input '${options.title}' refuses ${JSON.stringify(bad)}`);
        if (typeof message === 'string') assert.equal(problem, message);
        else assert.match(problem, message);
      }
      assert.equal(options.validateInput?.(value), undefined, `input '${options.title}' accepts ${JSON.stringify(value)}`);
      return value;
    },
  };
}

/** Presses a modal's button (undefined: Cancel). */
export function press(button: string | undefined): Step {
  return {
    kind: 'confirm',
    answer: (message, buttons) => {
      if (button !== undefined) assert.ok(buttons.includes(button), `modal '${message}' offers '${button}' (it offers ${buttons.join(', ')})`);
      return button;
    },
  };
}

/** Answers a file or folder dialog. */
export function choosePath(path: string): Step {
  return { kind: 'openDialog', answer: () => [vscode.Uri.file(path)] };
}

/** Dismisses whatever prompt comes (Escape). */
export function escape(kind: Step['kind']): Step {
  switch (kind) {
    case 'pick':
      return { kind, choose: () => undefined };
    case 'input':
      return { kind, answer: () => undefined };
    case 'confirm':
      return { kind, answer: () => undefined };
    case 'openDialog':
      return { kind, answer: () => undefined };
  }
}

export class ScriptedPrompter implements Prompter {
  readonly prompts: PromptRecord[] = [];
  readonly infos: string[] = [];
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  private readonly steps: Step[];
  private readonly failures: string[] = [];

  constructor(...steps: Step[]) {
    this.steps = steps;
  }

  private next<K extends Step['kind']>(kind: K, text: string): Extract<Step, { kind: K }> | undefined {
    const step = this.steps.shift();
    if (!step || step.kind !== kind) {
      this.failures.push(`unexpected ${kind} '${text}' (next scripted answer: ${step?.kind ?? 'none'})`);
      return undefined;
    }
    return step as Extract<Step, { kind: K }>;
  }

  private guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.failures.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  async pick<T extends vscode.QuickPickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined> {
    this.prompts.push({ kind: 'pick', text: options.title, items: items.filter((i) => !isSeparator(i)).map((i) => i.label) });
    const step = this.next('pick', options.title);
    return step ? (this.guard(() => step.choose(items, options)) as T | undefined) : undefined;
  }

  async input(options: InputOptions): Promise<string | undefined> {
    this.prompts.push({ kind: 'input', text: options.title });
    const step = this.next('input', options.title);
    return step ? this.guard(() => step.answer(options)) : undefined;
  }

  async confirm(message: string, options: ConfirmOptions, ...buttons: string[]): Promise<string | undefined> {
    this.prompts.push({ kind: 'confirm', text: message, detail: options.detail, buttons });
    const step = this.next('confirm', message);
    return step ? this.guard(() => step.answer(message, buttons)) : undefined;
  }

  async openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined> {
    this.prompts.push({ kind: 'openDialog', text: options.title ?? '' });
    const step = this.next('openDialog', options.title ?? '');
    return step ? this.guard(() => step.answer(options)) : undefined;
  }

  info(message: string): void {
    this.infos.push(message);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  error(message: string): void {
    this.errors.push(message);
  }

  /** Every scripted answer was used, no prompt was unexpected, and (unless allowed) no error was shown. */
  assertDone(options: { errors?: boolean } = {}): void {
    assert.deepEqual(this.failures, [], 'prompts went as scripted');
    assert.equal(this.steps.length, 0, `all scripted answers were used (${this.steps.length} left: ${this.steps.map((s) => s.kind).join(', ')})`);
    if (!options.errors) assert.deepEqual(this.errors, [], 'no error was shown');
  }
}

/** Runs a command as a user would, answering its prompts with the given steps. */
export async function runWith<T = unknown>(api: CheckpointLabApi, command: string, steps: Step[], ...args: unknown[]): Promise<{ result: T; prompter: ScriptedPrompter }> {
  const prompter = new ScriptedPrompter(...steps);
  api.setPrompter(prompter);
  try {
    const result = (await vscode.commands.executeCommand(command, ...args)) as T;
    return { result, prompter };
  } finally {
    api.setPrompter(undefined);
  }
}

/** The tree's children of node, as the view asks for them. */
export async function children(api: CheckpointLabApi, node?: LabNode): Promise<LabNode[]> {
  return (await api.tree.getChildren(node)) ?? [];
}

export function labelOf(api: CheckpointLabApi, node: LabNode): string {
  const label = api.tree.getTreeItem(node).label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

/** The VM's node in a freshly loaded tree. */
export async function vmNode(api: CheckpointLabApi, name: string): Promise<LabNode> {
  await api.tree.refresh();
  const node = (await children(api)).find((n) => n.kind === 'vm' && n.vm.Name === name);
  assert.ok(node, `the tree shows VM '${name}'`);
  return node;
}

/** Every node under node (depth first). */
export async function descendants(api: CheckpointLabApi, node: LabNode): Promise<LabNode[]> {
  const found: LabNode[] = [];
  for (const child of await children(api, node)) found.push(child, ...(await descendants(api, child)));
  return found;
}

/** The checkpoint's node in a freshly loaded tree, found by name under the VM. */
export async function checkpointNode(api: CheckpointLabApi, vmName: string, checkpointName: string): Promise<LabNode> {
  const vm = await vmNode(api, vmName);
  const node = (await descendants(api, vm)).find((n) => n.kind === 'checkpoint' && n.checkpoint.Name === checkpointName);
  assert.ok(node, `the tree shows checkpoint '${checkpointName}' of '${vmName}'`);
  return node;
}

/**
 * The VM's subtree as indented labels, e.g. ['Base', '  Child', '    Now'], as Hyper-V
 * Manager draws it.
 */
export async function outline(api: CheckpointLabApi, vmName: string): Promise<string[]> {
  const vm = await vmNode(api, vmName);
  const lines: string[] = [];
  const walk = async (node: LabNode, depth: number): Promise<void> => {
    for (const child of await children(api, node)) {
      lines.push(`${'  '.repeat(depth)}${labelOf(api, child)}`);
      await walk(child, depth + 1);
    }
  };
  await walk(vm, 0);
  return lines;
}

export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the tree's selection is the node with this id (reveal's selection reaches the extension host asynchronously). */
export async function waitForSelection(api: CheckpointLabApi, id: string): Promise<void> {
  await waitFor(() => api.view.selection[0]?.id === id, 3_000, `selection of ${id} (selected: ${api.view.selection[0]?.id ?? 'nothing'})`);
}

/** Shows the Virtual Machines view, so reveal() has a visible tree to select in. */
export async function showView(): Promise<void> {
  await vscode.commands.executeCommand('checkpointLab.virtualMachines.focus');
}
