import { createLogger, createRedactor, PinoSdkLogger, REDACTED } from '../../worker/logger.js';

const SECRET = 'Sim-Userpass-"quoted"\\and-slashed';

function capture(secrets: string[] = [SECRET]) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', secrets, write: (line) => lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('every occurrence of a known userpass is redacted: message, nested fields, errors', () => {
  const { logger, lines } = capture();
  logger.info({ body: { userpass: SECRET, list: [`x${SECRET}y`] } }, `calling with ${SECRET}`);
  logger.error({ err: new Error(`failed: ${SECRET}`) }, 'boom');
  const output = lines.join('');
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(JSON.stringify(SECRET).slice(1, -1));
  expect(output.split(REDACTED).length - 1).toBeGreaterThanOrEqual(4);
});

test('redactor: longest secret first, nothing to do without secrets', () => {
  const redact = createRedactor(['abc', 'abcdef']);
  expect(redact('xx abcdef abc')).toBe(`xx ${REDACTED} ${REDACTED}`);
  expect(createRedactor([])('abc')).toBe('abc');
});

test('lines are JSON with level names and an ISO time', () => {
  const { logger, parsed } = capture();
  logger.warn({ a: 1 }, 'hello');
  expect(parsed()[0]).toMatchObject({ level: 'warn', msg: 'hello', a: 1, service: 'kdf-lightning-worker' });
  expect(String(parsed()[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test('the SDK logger forwards level, message and context meta (workflow/activity ids)', () => {
  const { logger, parsed } = capture();
  const sdk = new PinoSdkLogger(logger);
  sdk.info('Workflow started', { sdkComponent: 'workflow', workflowId: 'enable-lightning/a/t', runId: 'r1' });
  sdk.log('WARN', 'Activity failed', { sdkComponent: 'activity', activityType: 'preflight', [Symbol('ts')]: 1n });
  sdk.debug('d');
  sdk.trace('t');
  sdk.error('e', { error: new Error(`bad ${SECRET}`) });
  const [first, second, third, fourth, fifth] = parsed();
  expect(first).toMatchObject({ level: 'info', msg: 'Workflow started', workflowId: 'enable-lightning/a/t' });
  expect(second).toMatchObject({ level: 'warn', activityType: 'preflight', sdkComponent: 'activity' });
  expect(third?.level).toBe('debug');
  expect(fourth?.level).toBe('trace');
  expect(fifth).toMatchObject({ level: 'error', error: { message: `bad ${REDACTED}` } });
});
