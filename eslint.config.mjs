// ESLint for the program, the policy pack, the scripts, the tests and the benchmarks. Style is
// prettier's alone (eslint-config-prettier, last, switches off every rule it would fight); the
// rules here look for bugs. TypeScript gets typescript-eslint's type-checked recommendations and
// Pulumi's own rules; the plain JavaScript files (cleanup/cleanup.js and two Node.js scripts)
// get ESLint's recommended rules, their types being checked by tsc --checkJs where they have any.
import { includeIgnoreFile } from "@eslint/compat";
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import globals from "globals";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

const ignoreFile = (name) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig(
    // One list of what no tool formats or lints, shared with prettier.
    includeIgnoreFile(ignoreFile(".gitignore"), ".gitignore"),
    includeIgnoreFile(ignoreFile(".prettierignore"), ".prettierignore"),
    {
        files: ["**/*.ts"],
        extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
        plugins: { "@pulumi": pulumi },
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // tsc's noUnusedLocals and noUnusedParameters hold the same line: a leading underscore
            // marks a name kept on purpose, mostly a property taken out of a rest spread.
            "@typescript-eslint/no-unused-vars": [
                "error",
                {
                    argsIgnorePattern: "^_",
                    varsIgnorePattern: "^_",
                    caughtErrorsIgnorePattern: "^_",
                    destructuredArrayIgnorePattern: "^_",
                },
            ],
        },
    },
    {
        files: ["**/*.js"],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: "commonjs", globals: globals.node },
    },
    {
        files: ["**/*.mjs"],
        extends: [js.configs.recommended],
        languageOptions: { sourceType: "module", globals: globals.node },
    },
    prettier,
);
