/** Progress of a long operation: `done` of `total` items of the named phase. */
export type ProgressCallback = (event: { phase: string; done: number; total: number }) => void;

/** A progress callback that does nothing. */
export const noProgress: ProgressCallback = () => {};
