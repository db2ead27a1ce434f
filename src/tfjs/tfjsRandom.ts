/**
 * The one place that installs a random source for TensorFlow.js. Our own code never reads
 * `Math.random`: it draws from a generator it is given (src/analysis/random.ts `seededRandom`, from
 * the run's seed). TensorFlow.js has no such parameter: it reads `Math.random` itself, so a seeded
 * recording must put its generator there while tfjs works, and only here (ESLint's
 * no-restricted-syntax refuses an assignment to `Math.random` anywhere else in src/ and webview/).
 *
 * What reads `Math.random` in TensorFlow.js 4.22 (@tensorflow/tfjs-core, -layers; the CPU and WASM
 * backends read none):
 *  - tfjs-core `ops/rand_util.ts`: `UniformRandom`, `MPRandGauss` and `RandGamma` take one
 *    `Math.random()` as the seed of their alea generator when they are given no seed, so
 *    `randomUniform`, `randomNormal`, `truncatedNormal`, `randomStandardNormal` and `randomGamma`
 *    without a seed each read it once; `dropout` (via `randomUniform`) too, and `multinomial`
 *    (`seed || Math.random()`);
 *  - tfjs-core `util_base.ts`: `util.shuffle` and `util.shuffleCombo` (one read per element) and
 *    `util.randUniform`;
 *  - through these, in tfjs-layers: the initialisers without a seed (`glorotUniform`, `heNormal`,
 *    `randomNormal`, `truncatedNormal`, `orthogonal`, … as every layer builds its weights: building a
 *    model, or loading one from a checkpoint before its weights are set), the random masks and noise
 *    of `Dropout`, `SpatialDropout`, `AlphaDropout`, `GaussianNoise` and `GaussianDropout` and the
 *    recurrent layers' dropout, and `model.fit`'s `shuffle: true` (`util.shuffle` of the batch order;
 *    the recorder trains with `shuffle: false`, in an order drawn from its seed).
 *  tfjs-data's `Dataset.shuffle` seeds itself from the clock, not from `Math.random`.
 */

/** The sources of the scopes open now, the latest last; `Math.random` is the last one's. */
const openScopes: { random: () => number }[] = [];
/** What `Math.random` was before the first open scope: put back when the last one closes. */
let outside: () => number = Math.random;

/**
 * Runs `run` with `Math.random` replaced by `random`, for the TensorFlow.js code it calls (see the
 * module comment), until `run` returns, throws, or (when it returns a promise) settles. Scopes nest:
 * when one closes, `Math.random` is again the source of the latest scope still open (an inner
 * scope's end gives the outer one its generator back, which has not moved meanwhile), or what it was
 * before any scope once none is. An asynchronous `run` is for code that owns the thread meanwhile,
 * as a recording does: two scopes open at once on one thread share whichever was opened last.
 */
export function withTfjsRandom<T>(random: () => number, run: () => Promise<T>): Promise<T>;
export function withTfjsRandom<T>(random: () => number, run: () => T): T;
export function withTfjsRandom<T>(random: () => number, run: () => T | Promise<T>): T | Promise<T> {
  const scope = { random };
  if (openScopes.length === 0) outside = Math.random;
  openScopes.push(scope);
  install(random);
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (e) {
    close(scope);
    throw e;
  }
  if (!(result instanceof Promise)) {
    close(scope);
    return result;
  }
  return (async () => {
    try {
      return await result;
    } finally {
      close(scope);
    }
  })();
}

function close(scope: { random: () => number }): void {
  openScopes.splice(openScopes.indexOf(scope), 1);
  install(openScopes.length > 0 ? openScopes[openScopes.length - 1].random : outside);
}

function install(random: () => number): void {
  // eslint-disable-next-line no-restricted-syntax -- the one place that installs a random source for tfjs (module comment)
  Math.random = random;
}
