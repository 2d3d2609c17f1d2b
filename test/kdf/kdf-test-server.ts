import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  httpMethod: string;
  headers: IncomingMessage['headers'];
  /** the parsed JSON body (undefined for a GET) */
  body: unknown;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

/** A throwaway HTTP server on 127.0.0.1 that plays KDF: each test installs the handler it needs (got's `withServer` style). */
export interface TestServer {
  url: string;
  /** every request received, in arrival order */
  requests: RecordedRequest[];
  /** requests being handled right now and the highest value seen */
  concurrency: { current: number; max: number };
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  let handler: Handler = (_request, response) => reply(response, 500, { error: 'no handler installed' });
  const requests: RecordedRequest[] = [];
  const concurrency = { current: 0, max: 0 };

  const server = createServer((incoming, response) => {
    concurrency.current += 1;
    concurrency.max = Math.max(concurrency.max, concurrency.current);
    response.on('close', () => {
      concurrency.current -= 1;
    });
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request = {
        httpMethod: incoming.method ?? '',
        headers: incoming.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      handler(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    concurrency,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replies like KDF v2 does: JSON body, no content-type header (contract §1.1). */
export function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status);
  response.end(JSON.stringify(body));
}

/** A v2 error envelope as KDF builds it (contract §1.3); `errorData` undefined leaves the key out. */
export function errorEnvelope(errorType: string, error: string, errorData?: unknown, id: number | null = 1): object {
  return {
    mmrpc: '2.0',
    error,
    error_path: 'dispatcher',
    error_trace: 'dispatcher:272]',
    error_type: errorType,
    ...(errorData !== undefined && { error_data: errorData }),
    id,
  };
}
