import { defineConfig } from "vite";

// `npm run dev` serves the UI on :5173 and calls a dlkitd started with
// --gateway_cors_origins=http://localhost:5173 (see README).
export default defineConfig({
  base: "./",
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
});
