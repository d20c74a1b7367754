/**
 * Reads the request body, after authentication, permissions and throttles have passed (DRF
 * parses lazily, so an anonymous request with a broken body gets 401, not 400). JSON and
 * URL-encoded forms go through koa-bodyparser; multipart forms through busboy (their files
 * are ignored: no operation takes one). Returns the fields as a plain object.
 */
import type { Context } from 'koa';
import bodyParser from 'koa-bodyparser';
import Busboy from 'busboy';
import { ParseError, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { parseQuery } from './query';

export type BodyReader = (ctx: Context) => Promise<unknown>;

/** A body with no content at all reads as `{}`, as DRF's empty QueryDict. */
export function createBodyReader(limitBytes: number): BodyReader {
  const parse = bodyParser({
    enableTypes: ['json', 'form'],
    jsonLimit: `${limitBytes}b`,
    formLimit: `${limitBytes}b`,
    strict: false,
    // Errors are translated below, in DRF's words.
    onerror: (err: Error) => {
      throw err;
    },
  });

  return async function readBody(ctx: Context): Promise<unknown> {
    const length = Number(ctx.get('content-length') || 0);
    const chunked = ctx.get('transfer-encoding') !== '';
    if (length === 0 && !chunked) return {};
    if (length > limitBytes) throw new PayloadTooLarge();
    const type = ctx.request.type;
    // DRF: with no Content-Type there is no parser to ask, and the data is empty.
    if (!type) return {};
    if (type === 'multipart/form-data') return readMultipart(ctx, limitBytes);
    if (!ctx.is('json', 'urlencoded')) throw new UnsupportedMediaType(ctx.get('content-type'));
    try {
      await parse(ctx, async () => undefined);
    } catch (err) {
      throw translate(err);
    }
    if (ctx.is('urlencoded')) {
      // One flat value per field, the last one winning, as Django's QueryDict.get(): read as a query is.
      return parseQuery((ctx.request as unknown as { rawBody?: string }).rawBody ?? '');
    }
    return ctx.request.body;
  };
}

/**
 * V8's JSON messages quote the body ("Unexpected token 'h', "hunter2" is not valid JSON"):
 * the error would echo a password back. Keep the reason and the position only.
 */
function jsonReason(message: string): string {
  return message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function translate(err: unknown): Error {
  const e = err as { status?: number; type?: string; message?: string; code?: string; errno?: number };
  if (e.status === 413 || e.type === 'entity.too.large') return new PayloadTooLarge();
  // A Content-Encoding (gzip, deflate, br) whose data does not decompress.
  if (typeof e.code === 'string' && /^(Z_|ERR__|ERR_BROTLI)/.test(e.code)) return new ParseError('Request body could not be decompressed.');
  if (e.type === 'encoding.unsupported' || /content-encoding/i.test(e.message ?? '')) return new UnsupportedMediaType('', 'Unsupported Content-Encoding in request.');
  if (e.status === 415 || e.type === 'charset.unsupported') return new UnsupportedMediaType('', 'Unsupported charset in request.');
  if (e.status === 400) return new ParseError(`JSON parse error - ${jsonReason(e.message ?? 'invalid JSON')}`);
  if (e.type === 'request.aborted') return new ParseError('Request body was not received whole.');
  return err as Error;
}

function readMultipart(ctx: Context, limitBytes: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let total = 0;
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: ctx.req.headers, limits: { fieldSize: limitBytes, fields: 1000, files: 0 } });
    } catch (err) {
      reject(new ParseError(`Multipart form parse error - ${(err as Error).message}`));
      return;
    }
    bb.on('field', (name: string | undefined, value: string, info: { valueTruncated: boolean }) => {
      // An exception here would be thrown inside a stream event, past every handler: keep it in.
      try {
        if (!name) return; // a part without a name is no field (Django skips it too)
        total += name.length + value.length;
        if (info.valueTruncated || total > limitBytes) {
          reject(new PayloadTooLarge());
          return;
        }
        fields[name] = value;
      } catch (err) {
        reject(new ParseError(`Multipart form parse error - ${(err as Error).message}`));
      }
    });
    bb.on('file', (_name, stream) => stream.resume());
    bb.on('error', (err) => reject(new ParseError(`Multipart form parse error - ${(err as Error).message}`)));
    bb.on('close', () => resolve(fields));
    ctx.req.pipe(bb);
  });
}
