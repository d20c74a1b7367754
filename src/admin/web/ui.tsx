/** Small shared pieces: paging, loading and error states, page headings that take focus. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { FormAlert } from './forms';

export const PAGE_SIZE = 20;

/** Page N of M, with Previous page / Next page buttons. */
export function Pager({ page, count, pageSize = PAGE_SIZE, onPage, label }: { readonly page: number; readonly count: number; readonly pageSize?: number; readonly onPage: (page: number) => void; readonly label: string }) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous page
      </button>
      <span>
        Page {page} of {pages} ({count} {count === 1 ? 'result' : 'results'})
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Next page
      </button>
    </nav>
  );
}

/** The page's heading: focused when the page opens, so a screen reader hears where it is; also the window's title. */
export function PageHeading({ children }: { readonly children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    const text = ref.current?.textContent?.trim();
    document.title = text ? `${text} · Little Lemon admin` : 'Little Lemon admin';
  });
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}

export function LoadError({ messages }: { readonly messages: readonly string[] }) {
  return <FormAlert messages={messages} />;
}

export function Section({ title, id, children }: { readonly title: string; readonly id: string; readonly children: ComponentChildren }) {
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A date and time as the reader's locale writes them (ISO in the title), or a dash. */
export function When({ at }: { readonly at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{at}</span>;
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}
    </time>
  );
}
