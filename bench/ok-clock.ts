/**
 * When did each KDF task turn Ok? The simulator pushes every task status change on its event stream
 * (`GET /event-stream?id=0`; inits without `client_id`, like ours, belong to client 0) at the instant it applies
 * the change, before any status request can see it. The time a push arrives here is the reference point of the
 * detection latency.
 *
 * @module
 */
import { once } from 'node:events';
import { get, type IncomingMessage } from 'node:http';

export interface OkClock {
  /** Wall-clock ms (`Date.now()`) at which task `taskId` was seen turning Ok, if it did. */
  okAt(taskId: number): number | undefined;
  close(): void;
}

interface TaskEvent {
  _type: string;
  message: { status: string };
}

export async function watchOkTimes(simulatorUrl: string): Promise<OkClock> {
  const okTimes = new Map<number, number>();
  const request = get(new URL('event-stream?id=0', simulatorUrl));
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  if (response.statusCode !== 200) throw new Error(`event stream of ${simulatorUrl}: HTTP ${response.statusCode}`);
  let pending = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const receivedAt = Date.now();
    const frames = (pending + chunk).split('\n\n');
    pending = frames.pop() ?? '';
    for (const frame of frames) {
      if (!frame.startsWith('data: ')) continue;
      const event = JSON.parse(frame.slice('data: '.length)) as TaskEvent;
      if (event.message.status === 'Ok') okTimes.set(Number(event._type.slice('TASK:'.length)), receivedAt);
    }
  });
  // the simulator ends the stream when it stops
  response.on('error', () => undefined);
  return {
    okAt: (taskId) => okTimes.get(taskId),
    close: () => request.destroy(),
  };
}
