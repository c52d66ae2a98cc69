// The one place the code base imports zod: zod/mini (tree-shakable, unlike classic zod's
// classes, so the worker bundle loads fast) with the English messages classic zod installs by
// itself. Import it as a namespace, `import * as z from './zod.js'`: esbuild then keeps only the
// functions called; re-exporting zod's `z` object would keep every export, every locale too.
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
