import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))

// The console is served by the Ronghe server itself (src/api/server.ts) from web/dist, so the API is same-origin.
// In `vite dev` the API calls are proxied to a running `npm start` on port 8080.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/api': { target: process.env.RONGHE_API ?? 'http://127.0.0.1:8080', ws: true },
      '/docs': process.env.RONGHE_API ?? 'http://127.0.0.1:8080',
    },
  },
})
