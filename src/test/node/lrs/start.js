'use strict';
// Starts Learning Locker's xAPI statements service (@learninglocker/xapi-statements) for tests.
//
// The service calls app.listen(EXPRESS_PORT) with no host, i.e. on every interface, and has no
// setting for the host. This wrapper makes that listen bind LRS_HOST (default 127.0.0.1) instead,
// then reports the address the socket is really bound to:
//   - as one line "LRS ready http://ADDRESS:PORT/xAPI" on stdout,
//   - and, when LRS_READY_FILE is set, as that URL written to the file (atomically, via rename).
// EXPRESS_PORT=0 lets the OS choose a free port.
//
// The process exits when its standard input closes, so an LRS never outlives the JVM that started
// it (even after kill -9 of that JVM).
//
// Everything else is configured by the service's own environment variables (its dist/config.js),
// set by io.learnbridge.testing.LrsServer: MODELS_REPO, STORAGE_REPO, AUTH_REPO, EVENTS_REPO, ...
const fs = require('fs');
const net = require('net');

const host = process.env.LRS_HOST || '127.0.0.1';
const readyFile = process.env.LRS_READY_FILE;

const listen = net.Server.prototype.listen;
let announced = false;
net.Server.prototype.listen = function (...args) {
  const portOnly = typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]));
  if (portOnly && typeof args[1] !== 'string') {
    args.splice(1, 0, host);
  }
  if (!announced) {
    announced = true;
    this.once('listening', () => {
      const { address, port } = this.address();
      const url = `http://${address}:${port}/xAPI`;
      if (readyFile) {
        fs.writeFileSync(readyFile + '.tmp', url);
        fs.renameSync(readyFile + '.tmp', readyFile);
      }
      console.log(`LRS ready ${url}`);
    });
  }
  return listen.apply(this, args);
};

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

require('@learninglocker/xapi-statements/dist/server');
