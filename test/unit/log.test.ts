import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyLogs } from '../../src/log';

test('logs are pretty on a terminal outside production, JSON everywhere else', () => {
  assert.equal(prettyLogs(true, undefined), true);
  assert.equal(prettyLogs(true, 'development'), true);
  assert.equal(prettyLogs(true, 'production'), false, 'production is JSON even on a terminal');
  assert.equal(prettyLogs(false, undefined), false, 'a pipe or a file');
  assert.equal(prettyLogs(undefined, undefined), false, 'stdout is not a stream Node knows as a TTY');
});
