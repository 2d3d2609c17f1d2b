/** Where and how to reach one KDF node. Built by the worker from `KDF_NODES_FILE`; never enters workflow data. */
export interface KdfNodeConfig {
  /** Node id used in workflow input and workflow ids. */
  id: string;
  /** KDF RPC endpoint, e.g. `http://127.0.0.1:7783/`. */
  url: string;
  /** KDF `rpc_password`. Secret: never logged, never in errors, heartbeats or workflow data. */
  userpass: string;
  /** got request timeout, at most 15000: an init on the wire after a cancel must fit G1's 60 s. @default 10000 */
  requestTimeoutMs?: number;
  /** At most this many RPC requests in flight to this node from one worker. @default unlimited */
  maxConcurrentRequests?: number;
  /**
   * Follow KDF's event stream to learn of phase changes at once; polling stays as the safety net. Needs
   * `event_streaming_configuration` in the node's KDF config (KDF 2.4+). @default false
   */
  eventStream?: boolean;
}

/** Node id → connection settings. */
export type NodeRegistry = ReadonlyMap<string, KdfNodeConfig>;
