/** KDF's SSE endpoint (contract §1.7): task status changes pushed as TASK:<id> events. */
import { request, type IncomingMessage } from 'node:http';
import { defaultScenario, startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { CANCEL, INIT, USERPASS, activation, call, result, sleep, waitFor } from './http.js';

let sim: RunningSimulator;
const open: IncomingMessage[] = [];

afterEach(async () => {
  for (const response of open.splice(0)) response.destroy();
  await sim.stop();
});

/** Connects to the event stream and collects the `data:` payloads it receives. */
async function connect(clientId: number) {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request(new URL(`event-stream?id=${clientId}`, sim.url), resolve)
      .on('error', reject)
      .end();
  });
  open.push(response);
  const events: { _type: string; message: { status: string; details: unknown } }[] = [];
  let buffered = '';
  response.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const frames = buffered.split('\n\n');
    buffered = frames.pop() ?? '';
    for (const frame of frames) events.push(JSON.parse(frame.replace(/^data: /, '')));
  });
  return { response, events };
}

test('every status change after the initial one is pushed, in order, to the init client_id', async () => {
  sim = await startSimulator({
    userpass: USERPASS,
    phaseMs: 10,
    scenario: { ...defaultScenario, eventStreaming: true },
  });
  const { response, events } = await connect(7);
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/event-stream');
  const { task_id: taskId } = await result<{ task_id: number }>(sim, INIT, {
    ticker: 'tBTC-lightning',
    activation_params: activation,
    client_id: 7,
  });
  await waitFor(
    async () => events.length,
    (count) => count === 8
  );
  expect(events.map(({ _type }) => _type)).toEqual(Array(8).fill(`TASK:${taskId}`));
  expect(events.slice(0, 7).map(({ message }) => message)).toEqual(
    [
      'GettingFeesFromRPC',
      'ReadingNetworkGraphFromFile',
      'InitializingChannelManager',
      'InitializingPeerManager',
      'ReadingScorerFromFile',
      'InitializingBackgroundProcessor',
      'ReadingChannelsAddressesFromFile',
    ].map((details) => ({ status: 'InProgress', details }))
  );
  expect(events[7]?.message).toMatchObject({ status: 'Ok', details: { platform_coin: 'tBTC-segwit' } });
});

test('other clients get nothing, a cancel is not pushed, and an id can be used once at a time', async () => {
  sim = await startSimulator({
    userpass: USERPASS,
    phaseMs: 10,
    scenario: { ...defaultScenario, eventStreaming: true },
  });
  const other = await connect(0);
  const mine = await connect(1);
  const taskId = (
    await result<{ task_id: number }>(sim, INIT, {
      ticker: 'tBTC-lightning-slow',
      activation_params: activation,
      client_id: 1,
    })
  ).task_id;
  await waitFor(
    async () => mine.events.length,
    (count) => count >= 2
  );
  await call(sim, CANCEL, { task_id: taskId });
  // frames written before the cancel may still be on the wire: count what the simulator sent, not what arrived
  const sentAtCancel = sim.eventStreams.sent();
  await sleep(50);
  expect(sim.eventStreams.sent()).toBe(sentAtCancel);
  await waitFor(
    async () => mine.events.length,
    (count) => count === sentAtCancel
  );
  expect(other.events).toEqual([]);

  const second = await fetch(new URL('event-stream?id=1', sim.url));
  expect(second.status).toBe(500);
  expect(await second.text()).toBe('ID already in use');
});

test('without eventStreaming the endpoint answers 500 "Event streaming is disabled"', async () => {
  sim = await startSimulator({ userpass: USERPASS });
  const reply = await fetch(new URL('event-stream', sim.url));
  expect(reply.status).toBe(500);
  expect(await reply.text()).toBe('Event streaming is disabled');
});

test('a restart closes the streams, like a KDF process exit', async () => {
  sim = await startSimulator({ userpass: USERPASS, scenario: { ...defaultScenario, eventStreaming: true } });
  const { response } = await connect(3);
  const ended = new Promise((resolve) => response.on('end', resolve));
  sim.restart();
  await ended;
  expect(response.complete).toBe(true);
});
