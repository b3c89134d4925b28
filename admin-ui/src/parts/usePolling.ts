import { useCallback, useEffect, useState } from "react";

/** Runs `load` now and every `everyMs`, keeping the last result and error. */
export function usePolling<T>(load: () => Promise<T>, everyMs: number | null) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const refresh = useCallback(async () => {
    try {
      setData(await load());
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [load]);
  useEffect(() => {
    void refresh();
    if (everyMs === null) return;
    const timer = window.setInterval(() => void refresh(), everyMs);
    return () => window.clearInterval(timer);
  }, [refresh, everyMs]);
  return { data, error, loading, refresh };
}
