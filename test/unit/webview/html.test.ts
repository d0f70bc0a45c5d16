import { strict as assert } from 'node:assert';
import { contentSecurityPolicy, newNonce, renderSettingsHtml } from '../../../src/webview/html';

describe('Settings page: HTML shell and Content Security Policy', () => {
  const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
  const options = {
    cspSource,
    nonce: 'abc123XYZ',
    styleUri: `${cspSource}/ext/media/settings/settings.css`,
    rulesScriptUri: `${cspSource}/ext/media/settings/rules.js`,
    scriptUri: `${cspSource}/ext/media/settings/settings.js`,
    vmId: '6f1c9a1e-0000-4000-8000-000000000001',
    title: 'Settings: <web & 01>',
  };

  it('allows nothing by default, scripts only with the nonce, styles only from the extension', () => {
    const csp = contentSecurityPolicy(cspSource, 'abc123XYZ');
    assert.match(csp, /^default-src 'none';/);
    assert.match(csp, /script-src 'nonce-abc123XYZ'(;|$)/);
    assert.match(csp, new RegExp(`style-src ${cspSource.replace(/[.+]/g, '\\$&')}(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
  });

  it('loads only nonce-tagged scripts of media/settings and escapes what it prints', () => {
    const html = renderSettingsHtml(options);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 2);
    for (const attributes of scripts) {
      assert.match(attributes, /nonce="abc123XYZ"/);
      assert.match(attributes, /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/media\/settings\/(rules|settings)\.js"/);
    }
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script');
    assert.doesNotMatch(html, /style="/, 'no inline style');
    assert.match(html, /<title>Settings: &lt;web &amp; 01&gt;<\/title>/);
    assert.match(html, /data-vm-id="6f1c9a1e-0000-4000-8000-000000000001"/);
  });

  it('makes a fresh, unguessable nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => newNonce()));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  });
});
