// What "Open the example model" puts beside the example so that it type-checks in a workspace that
// has not installed TensorFlow.js: the example imports `@tensorflow/tfjs`, and without its types the
// TypeScript server marks the import "Cannot find module" and every `tf.` red, as if the user had to
// `npm install` before recording (recording needs nothing: the recorder bundles TensorFlow.js).
//
// The extension ships the declaration files of tfjs-core, -layers, -data and -converter (the .vsix
// keeps their `dist/**/*.d.ts`, .vscodeignore). They are copied into `.cnnslicer/types/@tensorflow/`
// (about 5 MB, beside the runs folder), with an `@tensorflow/tfjs` entry that re-exports them as the
// umbrella package does (its browser backends left out), and a `tsconfig.json` maps
// `@tensorflow/*` there. Nothing is written where the workspace resolves `@tensorflow/tfjs` itself
// (node_modules) or configures TypeScript itself (a tsconfig.json or jsconfig.json at its root).
import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The packages whose declarations the umbrella `@tensorflow/tfjs` re-exports for models. */
export const TYPED_PACKAGES = ['tfjs-core', 'tfjs-layers', 'tfjs-data', 'tfjs-converter'] as const;

/** Where the copied declarations go, relative to the workspace folder. */
export const TYPES_FOLDER = '.cnnslicer/types';

/** What was done: written, or why not. */
export type ExampleTypings = 'written' | 'has-tfjs' | 'has-config' | 'no-source';

const UMBRELLA = `// Written by CNN Slicer: the types of @tensorflow/tfjs for editing models, without installing it.
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
export * from '@tensorflow/tfjs-converter';
import * as data from '@tensorflow/tfjs-data';
export { data };
`;

/** The tsconfig.json that makes the workspace's model files type-check against the copied declarations. */
export function exampleTsconfig(): string {
  const config = {
    // No option TypeScript 6 deprecates (VS Code's own TypeScript marks them as errors in this file):
    // not moduleResolution node/node10 (`bundler` resolves packages as the recorder's esbuild does),
    // not baseUrl (paths are relative to this file).
    compilerOptions: {
      target: 'ES2020',
      module: 'preserve',
      moduleResolution: 'bundler',
      strict: true,
      // The declarations refer to browser and optional packages a model never touches.
      skipLibCheck: true,
      noEmit: true,
      types: [],
      paths: { '@tensorflow/*': [`./${TYPES_FOLDER}/@tensorflow/*`] },
    },
    exclude: ['node_modules', '.cnnslicer'],
  };
  return `// Written by CNN Slicer ("Open the example model"): model files get the types of TensorFlow.js from\n// ${TYPES_FOLDER} without installing it. Delete this file (and that folder) once you npm install @tensorflow/tfjs.\n${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Puts the TensorFlow.js declarations and a tsconfig.json into `workspaceFolder` when it needs them;
 * `extensionPath` is where the extension is installed (its node_modules hold the declarations).
 */
export function writeExampleTypings(extensionPath: string, workspaceFolder: string): ExampleTypings {
  if (existsSync(join(workspaceFolder, 'node_modules', '@tensorflow', 'tfjs', 'package.json'))) return 'has-tfjs';
  if (['tsconfig.json', 'jsconfig.json'].some((f) => existsSync(join(workspaceFolder, f)))) return 'has-config';
  const sources = TYPED_PACKAGES.map((p) => join(extensionPath, 'node_modules', '@tensorflow', p));
  if (!sources.every((s) => existsSync(join(s, 'package.json')))) return 'no-source';
  const target = join(workspaceFolder, TYPES_FOLDER, '@tensorflow');
  TYPED_PACKAGES.forEach((p, i) => {
    const to = join(target, p);
    cpSync(join(sources[i], 'package.json'), join(to, 'package.json'));
    // Only the declarations: a development checkout's dist also holds megabytes of bundles.
    cpSync(join(sources[i], 'dist'), join(to, 'dist'), {
      recursive: true,
      filter: (src) => src.endsWith('.d.ts') || statSync(src).isDirectory(),
    });
  });
  mkdirSync(join(target, 'tfjs'), { recursive: true });
  writeFileSync(join(target, 'tfjs', 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs', types: 'index.d.ts' }, null, 2) + '\n');
  writeFileSync(join(target, 'tfjs', 'index.d.ts'), UMBRELLA);
  writeFileSync(join(workspaceFolder, 'tsconfig.json'), exampleTsconfig());
  return 'written';
}
