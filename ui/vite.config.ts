import { defineConfig } from 'vite';

// Preact's JSX runtime; relative asset paths, so that the built UI works under any
// prefix the node's gateway serves it from.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
});
