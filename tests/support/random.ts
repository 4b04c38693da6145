/** mulberry32: a small seeded generator, the same everywhere, so a seed replays a randomized run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One of `items`, chosen by `next`. */
export const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)]!;
