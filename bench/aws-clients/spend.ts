/** One spend: the spent set's conditional put of `id` at `now` (epoch seconds); rejects on any failure. */
export type SpendOnce = (id: string, now: number) => Promise<void>;
