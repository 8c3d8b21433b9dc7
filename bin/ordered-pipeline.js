#!/usr/bin/env node
// The `ordered-pipeline` command (package.json `bin`): the CLI as `npm run build` compiles it.
import '../dist/cli/main.js';
