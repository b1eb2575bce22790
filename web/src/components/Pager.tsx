// Previous / next over a list answer's total, limit and offset; nothing when it fits one page.
export function Pager({
  total,
  offset,
  page,
  onOffset,
}: {
  total: number;
  offset: number;
  page: number;
  onOffset: (o: number) => void;
}) {
  if (total <= page) return null;
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(total, offset + page);
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="btn btn-small" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - page))}>
        Previous
      </button>
      <span>
        {from}–{to} of {total}
      </span>
      <button type="button" class="btn btn-small" disabled={to >= total} onClick={() => onOffset(offset + page)}>
        Next
      </button>
    </nav>
  );
}
