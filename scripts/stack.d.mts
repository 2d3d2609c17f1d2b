// Types of scripts/stack.mjs (plain JavaScript: it runs before `npm install`).
export interface Stack {
  temporalServer: string;
  temporalUi: string;
  postgresMajor: number;
  namespace: string;
  namespaceRetention: string;
  searchAttributes: Record<string, string>;
  dynamicConfigFile: string;
  serverEnv: Record<string, string>;
}
export const STACK: Stack;
export const SEARCH_ATTRIBUTES: string[];
export const SERVER_PORT_ENV: readonly (
  | 'FRONTEND_GRPC_PORT'
  | 'FRONTEND_HTTP_PORT'
  | 'FRONTEND_MEMBERSHIP_PORT'
  | 'HISTORY_GRPC_PORT'
  | 'HISTORY_MEMBERSHIP_PORT'
  | 'MATCHING_GRPC_PORT'
  | 'MATCHING_MEMBERSHIP_PORT'
  | 'WORKER_GRPC_PORT'
  | 'WORKER_MEMBERSHIP_PORT'
)[];
export function temporalServerEnv(
  postgres: { host: string; port: number; user: string; password: string },
  ports: Record<(typeof SERVER_PORT_ENV)[number], number>,
  prometheusAddress: string
): Record<string, string>;
export function uiServerEnv(temporalAddress: string, port: number, codecEndpoint?: string): Record<string, string>;
