// `node --import ./src/cli/register.mjs` : TypeScript (tsx) plus `?raw` imports.
import { register } from 'node:module';
import 'tsx/esm';

register('./raw-loader.mjs', import.meta.url);
