import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * UUIDv7 ids for runs and sessions, as `uuid`'s `v7()` makes them (millisecond time, then a
 * sequence that keeps ids made in the same millisecond in order), with the random bytes
 * taken from a pool refilled 4 KiB at a time: `v7()` asks WebCrypto for 16 bytes per id,
 * a native call that cost more than the rest of the id.
 */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;
const state = { msecs: -Infinity, seq: 0 };

export function newId(): string {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.subarray(offset, (offset += 16));
  const now = Date.now();
  // uuid's updateV7State: a new millisecond starts a random sequence, the same one counts up
  if (now > state.msecs) {
    state.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    state.msecs = now;
  } else {
    state.seq = (state.seq + 1) | 0;
    if (state.seq === 0) state.msecs += 1;
  }
  return v7({ random, msecs: state.msecs, seq: state.seq });
}

/** What an experiment-like id is for: it names the prefix (`bakeoff-…`, `batch-…`, `eval-…`). */
export type ExperimentKind = 'bakeoff' | 'batch' | 'eval' | 'exp';

/**
 * An experiment id unique forever: `<kind>-<uuidv7>`, e.g. `batch-01938f2e-…`. The whole
 * UUIDv7 is kept (its 74 random/sequence bits make two ids made in the same millisecond
 * differ), never a time prefix, so two bake-offs started in the same minute never share one.
 * Still sorts by creation time within a kind.
 */
export function newExperimentId(kind: ExperimentKind = 'exp'): string {
  return `${kind}-${newId()}`;
}
