/**
 * Questions for interactive commands. On a terminal, answers are read with readline and
 * passwords without echo (raw mode, as getpass). When stdin is a pipe or a file, each answer is
 * the next line of it, so a script (or a test) can drive the prompts; nothing is echoed.
 * Prompts go to stdout, as Python's input() writes them.
 */
import readline from 'node:readline';

/** The operator pressed Ctrl-C. */
export class Cancelled extends Error {
  override name = 'Cancelled';
  constructor() {
    super('Operation cancelled.');
  }
}

/** Stdin ended (Ctrl-D, or a pipe with no more lines) before an answer was given. */
export class EndOfInput extends Error {
  override name = 'EndOfInput';
}

export interface Prompter {
  /** The answer to `question`, without its line ending. Raises Cancelled or EndOfInput. */
  ask(question: string): Promise<string>;
  /** The same, not echoed on a terminal. */
  askHidden(question: string): Promise<string>;
  /** Stops reading stdin so the process can exit. */
  close(): void;
}

export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** A prompter over `input`: terminal behaviour when it is a TTY, lines otherwise. */
export function createPrompter(input: TerminalInput, output: NodeJS.WritableStream): Prompter {
  return input.isTTY && typeof input.setRawMode === 'function' ? new TerminalPrompter(input, output) : new LinePrompter(input, output);
}

class TerminalPrompter implements Prompter {
  constructor(private readonly input: TerminalInput, private readonly output: NodeJS.WritableStream) {}

  ask(question: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: this.input, output: this.output, terminal: true });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        rl.close();
        fn();
      };
      rl.on('SIGINT', () => settle(() => reject(new Cancelled())));
      rl.on('close', () => settle(() => reject(new EndOfInput('end of input'))));
      rl.question(question, (answer) => settle(() => resolve(answer)));
    });
  }

  askHidden(question: string): Promise<string> {
    const { input, output } = this;
    return new Promise((resolve, reject) => {
      output.write(question);
      let value = '';
      const wasRaw = Boolean(input.isRaw);
      input.setRawMode!(true);
      input.setEncoding('utf8');
      const finish = (err?: Error) => {
        input.removeListener('data', onData);
        input.setRawMode!(wasRaw);
        input.pause();
        output.write('\n');
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (chunk: string | Buffer) => {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(new Cancelled()); // Ctrl-C
          if (ch === '\u0004') {
            // Ctrl-D: end of input on an empty line, ignored otherwise (as a terminal does).
            if (value === '') return finish(new EndOfInput('end of input'));
            continue;
          }
          if (ch === '\u007f' || ch === '\b') {
            value = Array.from(value).slice(0, -1).join('');
            continue;
          }
          if (ch === '\u0015') {
            value = ''; // Ctrl-U
            continue;
          }
          // An escape sequence (arrow keys…) arrives as one chunk: drop the rest of it.
          if (ch === '\u001b') break;
          if (ch >= ' ') value += ch;
        }
      };
      input.on('data', onData);
      input.resume();
    });
  }

  close(): void {
    this.input.pause();
  }
}

class LinePrompter implements Prompter {
  private buffer = '';
  private readonly lines: string[] = [];
  private readonly waiting: Array<{ resolve(line: string): void; reject(err: Error): void }> = [];
  private started = false;
  private ended = false;

  constructor(private readonly input: TerminalInput, private readonly output: NodeJS.WritableStream) {}

  private readonly onData = (chunk: string | Buffer) => {
    this.buffer += String(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(nl + 1);
    }
    this.deliver();
  };

  private readonly onEnd = () => {
    this.ended = true;
    if (this.buffer !== '') this.lines.push(this.buffer.replace(/\r$/, ''));
    this.buffer = '';
    this.deliver();
  };

  private deliver(): void {
    while (this.waiting.length > 0 && (this.lines.length > 0 || this.ended)) {
      const waiter = this.waiting.shift()!;
      if (this.lines.length > 0) waiter.resolve(this.lines.shift()!);
      else waiter.reject(new EndOfInput('end of input'));
    }
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onEnd);
  }

  async ask(question: string): Promise<string> {
    this.output.write(question);
    this.start();
    try {
      return await new Promise<string>((resolve, reject) => {
        this.waiting.push({ resolve, reject });
        this.deliver();
      });
    } finally {
      // The answer is not echoed from a pipe: end the prompt's line so the output stays readable.
      this.output.write('\n');
    }
  }

  askHidden(question: string): Promise<string> {
    return this.ask(question);
  }

  close(): void {
    if (!this.started) return;
    this.input.removeListener('data', this.onData);
    this.input.removeListener('end', this.onEnd);
    this.input.removeListener('error', this.onEnd);
    this.input.pause();
    // An open pipe would keep the process alive.
    (this.input as { destroy?: () => void }).destroy?.();
  }
}
