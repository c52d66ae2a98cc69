// The one way this code waits for something but not past a deadline: the promise's value, or
// `fallback` once `ms` have passed, with the timer cleared either way (no timer outlives a wait).

export async function withDeadline<T, F>(
  promise: Promise<T>,
  ms: number,
  fallback: F,
): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
