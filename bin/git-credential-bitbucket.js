#!/usr/bin/env node
'use strict';
// Launcher: loads a built bundle, nothing else. git runs get/store/erase on every HTTPS
// operation, so those go to a small CommonJS bundle; every other command to the full CLI.
const op = process.argv[2];
require('node:module').enableCompileCache?.(); // Node 22.1+: reuse compiled code between runs
if (op === 'get' || op === 'store' || op === 'erase') require('../dist/helper.cjs');
else import('../dist/cli.mjs');
