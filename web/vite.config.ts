import { defineConfig } from 'vitest/config';

// The server serves only /, /index.html, files at the top of the build folder and /assets/<file>
// (one path segment), so every emitted file lands directly in assets/ or the root.
// BAMBUDDY_API (e.g. http://127.0.0.1:8000) points the dev server's proxy at a running server.
const api = process.env.BAMBUDDY_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/health': { target: api, changeOrigin: false },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
