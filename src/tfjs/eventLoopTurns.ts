/**
 * Turns of the event loop for work that runs on this thread and awaits only settled promises (a
 * forward pass or a deconvolution on the WebAssembly backend): without one, no timer, message or
 * native completion runs until the work ends.
 */

/**
 * A function that lets the event loop turn (one `setImmediate`) once `everyMs` have passed since it
 * last did, and otherwise returns at once. Each caller keeps its own clock.
 */
export function eventLoopTurns(everyMs: number): () => Promise<void> {
  let lastTurn = -Infinity;
  return async () => {
    if (performance.now() - lastTurn < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastTurn = performance.now();
  };
}
