/** A lane's letter: A, B, C… */
export const laneLetter = (lane: number): string => String.fromCharCode(65 + lane);
