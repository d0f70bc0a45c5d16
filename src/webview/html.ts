/**
 * The Settings page's HTML shell: a strict Content Security Policy (nothing but our own
 * stylesheet and nonce'd scripts from media/settings; no remote content, no inline
 * styles, no eval), and the script's initial state. The controls themselves are built by
 * media/settings/settings.js. No 'vscode' import: the host passes the webview's values.
 */
import { randomBytes } from 'node:crypto';

export interface SettingsHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** asWebviewUri of media/settings/*, as strings. */
  styleUri: string;
  rulesScriptUri: string;
  scriptUri: string;
  nonce: string;
  /** The VM the page is for (the page keeps it in its state for the serializer). */
  vmId: string;
  /** The tab title, until the script has the VM's name. */
  title: string;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);

export function renderSettingsHtml(options: SettingsHtmlOptions): string {
  const nonce = escapeHtml(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(options.styleUri)}">
<title>${escapeHtml(options.title)}</title>
</head>
<body data-vm-id="${escapeHtml(options.vmId)}">
<main id="app" aria-busy="true"><p class="loading">Loading the settings of the virtual machine...</p></main>
<script nonce="${nonce}" src="${escapeHtml(options.rulesScriptUri)}"></script>
<script nonce="${nonce}" src="${escapeHtml(options.scriptUri)}"></script>
</body>
</html>`;
}
