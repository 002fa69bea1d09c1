// Bundles the command line into one ES module (dist/bpfkit.mjs): Node then loads one file instead of ~80, which is
// most of bpfkit's start-up time. The native addon stays a separate file found at run time.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/bpfkit.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Bundled CommonJS dependencies (commander) call require(); give the ES module one.
  banner: { js: "import { createRequire as bpfkitCreateRequire } from 'node:module'; const require = bpfkitCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
