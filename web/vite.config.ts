import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// During development the API, docs and Socket.IO gateway run on their own port.
const apiOrigin = "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist" },
  server: {
    proxy: {
      "/api": apiOrigin,
      "/docs": apiOrigin,
      "/socket.io": { target: apiOrigin, ws: true },
    },
  },
});
