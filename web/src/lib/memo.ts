/** `load` remembered by key for the page's life (rarely changing reads); a failed load is forgotten so the next call retries. */
export function memoized<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const found = new Map<string, Promise<T>>();
  return (key) => {
    let promise = found.get(key);
    if (!promise) {
      promise = load(key);
      promise.catch(() => found.delete(key));
      found.set(key, promise);
    }
    return promise;
  };
}
