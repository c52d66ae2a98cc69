// The one place the code base imports zod. It is zod/mini, not classic `zod`: classic zod's
// method-chaining classes cannot be tree-shaken, and bundled into the worker (dist/worker.js)
// they cost ~30 ms of module loading, paid again by every replacement worker between a crash and
// serving; zod/mini with only the English locale loads in ~5 ms. Same parser (zod's core)
// underneath: the checks below are the ones classic's methods added, in the same order.
//
// Classic zod installs the English error messages on its own; zod/mini has none until told. Set
// here, once, on import, so default messages read exactly as before ("Too small: expected
// number to be >=1") for the manager's 400s and the config errors it prints at exit 2.
//
// Import it as a namespace, `import * as z from './zod.js'`: esbuild then keeps only the
// functions called as `z.something`. Re-exporting zod's own `z` object (or `export { z }` of a
// namespace) makes the bundle keep every export of zod/mini, every locale included (~500 KB).
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
