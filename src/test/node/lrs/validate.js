'use strict';
// Validates xAPI statements with @learninglocker/xapi-validation (the validator the LRS itself uses).
//
// stdin:  a JSON array of statements (a single statement object is treated as an array of one).
// stdout: a JSON array with one entry per statement, each an array of problems; [] means valid.
//         A problem reads "<path>: <WarningName>" plus the warning's own details (expected type,
//         unknown keys, used identifiers...), e.g. "statement.verb: RequiredWarning" or
//         "statement.actor.account.homePage: TypeWarning typeName=\"Internationalized Resource Identifier (IRI)\"".
//         The offending value itself is never printed (it may be personal data).
// exit:   0 when the input was read (valid or not), 2 when it is not JSON.
const validate = require('@learninglocker/xapi-validation').default;

const OWN_KEYS = new Set(['data', 'path', 'message', 'name', 'stack']);

function detail(value) {
  if (typeof value === 'function') {
    return value.name;
  }
  return JSON.stringify(value);
}

function describe(warning) {
  const where = Array.isArray(warning.path) ? warning.path.join('.') : String(warning.path);
  const name = warning.name || (warning.constructor && warning.constructor.name) || 'Warning';
  const details = Object.keys(warning)
    .filter((key) => !OWN_KEYS.has(key) && warning[key] !== undefined)
    .map((key) => `${key}=${detail(warning[key])}`);
  return [`${where}: ${name}`, ...details].join(' ');
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  let parsed;
  try {
    parsed = JSON.parse(input);
  } catch (e) {
    process.stderr.write(`validate.js: stdin is not JSON: ${e.message}\n`);
    process.exit(2);
  }
  const statements = Array.isArray(parsed) ? parsed : [parsed];
  const problems = statements.map((statement) => validate(statement).map(describe));
  process.stdout.write(JSON.stringify(problems) + '\n');
});
