/**
 * KDF's server-sent events endpoint, `GET /event-stream?id=<client_id>`, pushing task status changes as
 * `TASK:<task_id>` events (contract §1.7).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from './http-io.js';
import type { TaskStatus } from './tasks.js';

/** Run-time faults of the event stream, for testing clients that must not depend on it. */
export interface EventStreamFaults {
  /** Refuse new connections (HTTP 503) while set. */
  refuse: boolean;
  /** Chance that a frame is dropped instead of sent. */
  dropProbability: number;
}

export class EventStreams {
  readonly #clients = new Map<number, ServerResponse>();
  readonly faults: EventStreamFaults = { refuse: false, dropProbability: 0 };
  /** Frames written to a connected client. */
  sent = 0;

  /** @param enabled KDF serves the endpoint only with `event_streaming_configuration` in its config. */
  constructor(private readonly enabled: boolean) {}

  open(request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    if (!this.enabled) return sendText(response, 500, 'Event streaming is disabled');
    if (this.faults.refuse) return sendText(response, 503, 'kdf-sim: event stream refused (injected)');
    const id = query.get('id') ?? '0';
    if (!/^\d+$/.test(id)) return sendText(response, 400, 'Invalid client ID');
    const clientId = Number(id);
    if (this.#clients.has(clientId)) return sendText(response, 500, 'ID already in use');
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'Access-Control-Allow-Origin': '*',
    });
    response.flushHeaders();
    this.#clients.set(clientId, response);
    request.socket.once('close', () => {
      if (this.#clients.get(clientId) === response) this.#clients.delete(clientId);
    });
  }

  /** Dropped silently when no client with that id is connected, as in KDF. */
  pushTaskStatus(clientId: number, taskId: number, status: TaskStatus): void {
    const client = this.#clients.get(clientId);
    if (!client || Math.random() < this.faults.dropProbability) return;
    client.write(`data: ${JSON.stringify({ _type: `TASK:${taskId}`, message: status })}\n\n`);
    this.sent += 1;
  }

  closeAll(): void {
    for (const response of this.#clients.values()) response.end();
    this.#clients.clear();
  }
}
