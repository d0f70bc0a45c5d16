import { strict as assert } from 'node:assert';
import { decideOpenTarget, openPreferenceOf } from '../../../src/fs/openTarget';

const folder = 'checkpoint-lab://store/web-01/now';

describe('Open Disk / Browse: where the folder opens', () => {
  it('opens a new window from a single-folder window (never turns it into an untitled workspace)', () => {
    assert.equal(decideOpenTarget({ workspaceFileScheme: undefined, folders: ['file:///home/me/project'] }, folder), 'newWindow');
  });

  it('opens a new window from an empty window and from an untitled multi-root workspace', () => {
    assert.equal(decideOpenTarget({ workspaceFileScheme: undefined, folders: [] }, folder), 'newWindow');
    assert.equal(decideOpenTarget({ workspaceFileScheme: 'untitled', folders: ['file:///a', 'file:///b'] }, folder), 'newWindow');
  });

  it('adds a folder to a saved multi-root workspace', () => {
    assert.equal(decideOpenTarget({ workspaceFileScheme: 'file', folders: ['file:///a', 'file:///b'] }, folder), 'addFolder');
    assert.equal(decideOpenTarget({ workspaceFileScheme: 'vscode-remote', folders: ['file:///a'] }, folder), 'addFolder');
  });

  it('reveals a folder that is already open instead of opening it again', () => {
    assert.equal(decideOpenTarget({ workspaceFileScheme: undefined, folders: [folder] }, folder), 'alreadyOpen');
    assert.equal(decideOpenTarget({ workspaceFileScheme: 'file', folders: [folder] }, folder, 'newWindow'), 'alreadyOpen');
  });

  it('honours an explicit preference', () => {
    assert.equal(decideOpenTarget({ workspaceFileScheme: undefined, folders: ['file:///p'] }, folder, 'currentWindow'), 'addFolder');
    assert.equal(decideOpenTarget({ workspaceFileScheme: 'file', folders: ['file:///p'] }, folder, 'newWindow'), 'newWindow');
  });

  it('reads { openIn } from command arguments and ignores anything else', () => {
    assert.equal(openPreferenceOf([]), 'auto');
    assert.equal(openPreferenceOf(['web-01', { openIn: 'currentWindow' }]), 'currentWindow');
    assert.equal(openPreferenceOf([{ kind: 'vm' }, [{ kind: 'vm' }]]), 'auto');
    assert.equal(openPreferenceOf([{ openIn: 'sideways' }]), 'auto');
  });
});
