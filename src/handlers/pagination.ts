/**
 * DRF's PageNumberPagination, shared by the paginated lists (menu items, the admin API): the
 * page size (`page_size`, at most 100, 10 by default), the page number (or `last`; an invalid
 * one is 404 "Invalid page."), and the links to the neighbouring pages.
 */
import { parsePythonInt } from '../decimal';
import { NotFound } from '../errors';
import type { Call } from './types';

/** PageNumberPagination: the page size when only `page` is given, and `max_page_size`. */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

/** PageNumberPagination.get_page_size: a strictly positive int, cut off at the maximum; else the default. */
export function pageSize(value: string | undefined): number {
  const n = value === undefined ? null : parsePythonInt(value);
  return n !== null && n > 0 ? Math.min(n, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/**
 * The page asked for, as Django's Paginator.validate_number; NotFound("Invalid page.") as DRF.
 * An empty `page=` is not a number (DRF 3.14 reads `query_params.get('page', 1)`).
 */
export function pageNumber(value: string | undefined, pages: number): number {
  if (value === 'last') return pages;
  const n = value === undefined ? 1 : parsePythonInt(value);
  if (n === null || n < 1 || n > pages) throw new NotFound('Invalid page.');
  return n;
}

/** This request's absolute URL with `page` set to `page`, or removed when null: DRF's get_next_link / get_previous_link. */
export function pageUrl(call: Pick<Call, 'urlWithQueryParam'>, page: number | null): string {
  return call.urlWithQueryParam('page', page === null ? null : String(page));
}

/** A DRF page object: `count`, `next`, `previous` and `results`, fetched with the page's limit and offset. */
export async function paginate<T>(
  call: Pick<Call, 'urlWithQueryParam'> & { readonly query: { readonly page?: string; readonly page_size?: string } },
  count: number,
  fetch: (page: { limit: number; offset: number }) => Promise<T[]>,
): Promise<{ count: number; next: string | null; previous: string | null; results: T[] }> {
  const perPage = pageSize(call.query.page_size);
  // Django's Paginator: an empty first page is allowed.
  const pages = Math.max(1, Math.ceil(count / perPage));
  const number = pageNumber(call.query.page, pages);
  const results = await fetch({ limit: perPage, offset: (number - 1) * perPage });
  return {
    count,
    next: number < pages ? pageUrl(call, number + 1) : null,
    previous: number > 1 ? pageUrl(call, number === 2 ? null : number - 1) : null,
    results,
  };
}
