// Cursor paging as the API does it: a stack of cursors, so "previous" goes back exactly.
import { useState } from "react";

export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors[cursors.length - 1],
    reset: () => setCursors([null]),
    previous: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : null,
    next: (cursor: string | null | undefined) => (cursor ? () => setCursors([...cursors, cursor]) : null),
  };
}

export function Pager({ onPrevious, onNext }: { onPrevious: (() => void) | null; onNext: (() => void) | null }) {
  return (
    <div className="row">
      <button type="button" className="secondary" disabled={!onPrevious} onClick={() => onPrevious?.()}>
        Previous page
      </button>
      <button type="button" className="secondary" disabled={!onNext} onClick={() => onNext?.()}>
        Next page
      </button>
    </div>
  );
}
