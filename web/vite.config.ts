import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Builds the UI into `web/dist/`, which the server serves at `/`. In development
 * (`vite --config web/vite.config.ts`) the API is proxied to a lab on 127.0.0.1:7860.
 */
const webRoot = fileURLToPath(new URL('.', import.meta.url));
const labUrl = 'http://127.0.0.1:7860';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': { target: labUrl, changeOrigin: false },
      '/health': { target: labUrl, changeOrigin: false },
    },
  },
});
