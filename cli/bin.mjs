#!/usr/bin/env node
// The `kms-rotator` bin: runs cli/main.ts through tsx, which this project uses to run TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
