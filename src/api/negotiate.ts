/**
 * Content negotiation as DRF's DefaultContentNegotiation does it, with one renderer, JSON (what
 * OPTIONS lists under `renders`). It runs first, before authentication (APIView.initial): an
 * Accept header none of whose media ranges JSON satisfies is 406 `{"detail": "Could not satisfy
 * the request Accept header."}`, whoever asks. Like DRF, the ranges are compared by type and
 * subtype only (`*` matching anything); their parameters and q-values decide nothing, and a
 * missing header is the any-type range.
 */
import { NotAcceptable } from '../errors';

/** Whether a media range (`application/json; q=0.9`, `application/*`, the any-type range) admits JSON. */
function admitsJson(range: string): boolean {
  const type = range.split(';', 1)[0].trim().toLowerCase();
  const slash = type.indexOf('/');
  const main = slash === -1 ? type : type.slice(0, slash);
  const sub = slash === -1 ? '' : type.slice(slash + 1);
  return (main === '*' || main === 'application') && (sub === '*' || sub === 'json');
}

/** Raises NotAcceptable (406) when the Accept header admits no JSON. */
export function negotiate(accept: string | undefined): void {
  if (accept === undefined) return;
  if (!accept.split(',').some(admitsJson)) throw new NotAcceptable();
}
