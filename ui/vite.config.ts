import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // Never inline assets as data: URIs; the CSP is `default-src 'self'`.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: resolve(root, "index.html"),
        mfa: resolve(root, "mfa.html"),
        sso: resolve(root, "sso.html"),
      },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // test/contrast.test.ts reads style.css (as `?raw`) for its colours.
    css: { include: [/style\.css/] },
  },
});
