#!/usr/bin/env node
import { leaveOutClientNodeApis } from './kube/client-node-hooks.js';

// Before any command loads the Kubernetes client (main.js loads them lazily).
leaveOutClientNodeApis();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
