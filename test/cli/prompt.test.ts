import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Cancelled, EndOfInput, createPrompter } from '../../src/cli/prompt';

/** A stand-in for a terminal's stdin: a stream with isTTY and setRawMode. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    modes: [] as boolean[],
    setRawMode(mode: boolean) {
      input.isRaw = mode;
      input.modes.push(mode);
      return input;
    },
  });
  const output = new PassThrough();
  let written = '';
  output.on('data', (chunk) => (written += String(chunk)));
  return { input, output, written: () => written };
}

test('on a terminal, a hidden answer is read in raw mode without echo; backspace edits it', async () => {
  const t = fakeTerminal();
  const prompter = createPrompter(t.input, t.output);
  const answer = prompter.askHidden('Password: ');
  t.input.write('secr');
  t.input.write('\u007fret');
  t.input.write('\r');
  assert.equal(await answer, 'secret');
  assert.equal(t.written(), 'Password: \n');
  assert.deepEqual(t.input.modes, [true, false], 'raw mode on, then restored');
  prompter.close();
});

test('on a terminal, an escape sequence (arrow key) and Ctrl-U are not part of the password', async () => {
  const t = fakeTerminal();
  const prompter = createPrompter(t.input, t.output);
  const answer = prompter.askHidden('Password: ');
  t.input.write('typo\u0015');
  t.input.write('ok');
  t.input.write('\u001b[A');
  t.input.write('!\n');
  assert.equal(await answer, 'ok!');
});

test('on a terminal, Ctrl-C cancels and Ctrl-D on an empty line ends the input', async () => {
  const t = fakeTerminal();
  const prompter = createPrompter(t.input, t.output);
  const cancelled = prompter.askHidden('Password: ');
  t.input.write('abc\u0003');
  await assert.rejects(cancelled, Cancelled);
  assert.equal(t.input.isRaw, false);
  const ended = prompter.askHidden('Password: ');
  t.input.write('\u0004');
  await assert.rejects(ended, EndOfInput);
});

test('on a terminal, a visible answer is read with readline', async () => {
  const t = fakeTerminal();
  const prompter = createPrompter(t.input, t.output);
  const answer = prompter.ask('Username: ');
  t.input.write('alice\r');
  assert.equal(await answer, 'alice');
  assert.ok(t.written().includes('Username: '));
});

test('from a pipe, each answer is the next line (CRLF or LF, the last one may lack its newline)', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const prompter = createPrompter(input, output);
  input.end('alice\r\n\nlast');
  assert.equal(await prompter.ask('Username: '), 'alice');
  assert.equal(await prompter.ask('Email address: '), '');
  assert.equal(await prompter.askHidden('Password: '), 'last');
  await assert.rejects(prompter.ask('Password (again): '), EndOfInput);
  prompter.close();
});
