// Payloads as JSON, the proto3 JSON form the codec server protocol uses: `{ metadata: { key: base64 }, data: base64 }`.
import type { Payload } from '@temporalio/common';
import { z } from 'zod';

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

export const JsonPayload = z.object({
  metadata: z.record(z.string(), Base64).nullish(),
  data: Base64.nullish(),
});
export type JsonPayload = z.infer<typeof JsonPayload>;

export const payloadToJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

export const payloadFromJson = (json: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(json.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))])
  ),
  data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')),
});
