#!/usr/bin/env node
'use strict';
// Launcher: loads a built bundle, nothing else. git runs get/store/erase on every HTTPS
// operation and the pre-push hook on every push, so those go to small CommonJS bundles; every
// other command to the full CLI.
const [op, sub] = process.argv.slice(2);
require('node:module').enableCompileCache?.(); // Node 22.1+: reuse compiled code between runs
if (op === 'get' || op === 'store' || op === 'erase') require('../dist/helper.cjs');
else if (op === 'hook' && sub === 'pre-push') require('../dist/hook.cjs');
else import('../dist/cli.mjs');
