#!/usr/bin/env node
'use strict';
// The launcher is bin/git-credential-bitbucket.cjs (Node starts a `.cjs` main file without
// looking for a package.json to learn its module type). This name stays for helper lines and
// hook files written by earlier versions, and for anything else that calls it.
require('./git-credential-bitbucket.cjs');
