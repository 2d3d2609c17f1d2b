import { ExitCode, outcomeExitCode, worstExitCode } from '../../client/exit-codes.js';

test('each outcome has its own exit code', () => {
  expect(outcomeExitCode('enabled')).toBe(0);
  expect(outcomeExitCode('failed')).toBe(2);
  expect(outcomeExitCode('cancelled')).toBe(3);
  expect(outcomeExitCode('timed_out')).toBe(4);
  expect(new Set(Object.values(ExitCode)).size).toBe(Object.values(ExitCode).length);
});

test('the worst outcome wins: failed > timed out > cancelled > enabled', () => {
  expect(worstExitCode([])).toBe(ExitCode.ok);
  expect(worstExitCode([ExitCode.ok, ExitCode.ok])).toBe(ExitCode.ok);
  expect(worstExitCode([ExitCode.ok, ExitCode.cancelled])).toBe(ExitCode.cancelled);
  expect(worstExitCode([ExitCode.cancelled, ExitCode.timedOut, ExitCode.ok])).toBe(ExitCode.timedOut);
  expect(worstExitCode([ExitCode.timedOut, ExitCode.failed, ExitCode.cancelled])).toBe(ExitCode.failed);
  expect(worstExitCode([ExitCode.failed, ExitCode.unavailable])).toBe(ExitCode.unavailable);
});
