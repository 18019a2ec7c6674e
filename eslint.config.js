import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "native/build/", "node_modules/", "runs/", "scripts/**/*.mjs", "native/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
