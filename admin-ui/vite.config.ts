import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Served by the admin-ui component under /admin-ui/ from target/admin-ui (a Spin files mount).
// Hashed files go to assets/, which the component marks immutable; index.html is never cached.
export default defineConfig({
  base: "/admin-ui/",
  plugins: [react()],
  build: {
    outDir: "../target/admin-ui",
    emptyOutDir: true,
    assetsDir: "assets",
    // No inline scripts or data: modules: the page's Content-Security-Policy forbids them.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
