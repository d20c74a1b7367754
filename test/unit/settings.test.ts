/**
 * loadSettings reads the environment it is given, and nothing else: a setting that leaked in
 * from process.env would make a test, the CLI and the server disagree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadSettings } from '../../src/settings';

test('MAIL_DIR keeps mail as files when it is set in the environment given, whatever process.env says', () => {
  const saved = process.env.MAIL_DIR;
  process.env.MAIL_DIR = '/somewhere/else';
  try {
    const unset = loadSettings({ DATA_DIR: '/tmp/ll-settings' });
    assert.equal(unset.mail.keepFiles, false);
    assert.equal(unset.mail.dir, path.resolve('/tmp/ll-settings/mail'));
    const set = loadSettings({ DATA_DIR: '/tmp/ll-settings', MAIL_DIR: '/tmp/ll-mail' });
    assert.equal(set.mail.keepFiles, true);
    assert.equal(set.mail.dir, '/tmp/ll-mail');
  } finally {
    if (saved === undefined) delete process.env.MAIL_DIR;
    else process.env.MAIL_DIR = saved;
  }
});
