/**
 * Values fixed by KDF's source (section numbers refer to /work/shared/kdf-rpc-contract.md).
 *
 * @module
 */
import { LIGHTNING_PHASES } from '../workflows/api.js';

/** The InProgress `details` of a lightning activation, in the order KDF emits them (§4.3). */
export { LIGHTNING_PHASES };
export type LightningPhase = (typeof LIGHTNING_PHASES)[number];

/** The phase in which KDF binds the node's listening port (`ln_p2p`). */
export const PORT_BINDING_PHASE = LIGHTNING_PHASES.indexOf('InitializingPeerManager');

/** KDF sleeps this long after the last phase before it computes the result (§4.3). */
export const KDF_FINAL_PAUSE_MS = 10_000;

/** The `type` tags of KDF's `CoinProtocol` enum that matter to a lightning node (§4.1). */
export const PROTOCOL_TYPES = ['UTXO', 'QTUM', 'BCH', 'ETH', 'ERC20', 'TENDERMINT', 'ZHTLC', 'LIGHTNING'] as const;

/** `listening_port` when the init params leave it out (§2.1). */
export const DEFAULT_LISTENING_PORT = 9735;
export const NODE_NAME_MAX_BYTES = 32;

/** What the OS says when the listening port is taken (Linux errno 98; the docs show macOS's 48). */
export const ADDRESS_IN_USE = 'I/O error Address already in use (os error 98)';
export const ADDRESS_IN_USE_PATH = 'init_l2.lightning_activation.ln_p2p';

/** `<crate version>_<git hash>` and build time of the KDF build the contract was read from (§2.7). */
export const KDF_VERSION = { result: '2.5.1-beta_a9fbf6096', datetime: '2025-07-28T17:10:33.123456+00:00' } as const;

/** The only method a `complete-on-cancel` fault applies to. */
export const CANCEL_LIGHTNING_TASK = 'task::enable_lightning::cancel';

/** Methods callable without a userpass (the ones this simulator implements). */
export const PUBLIC_METHODS: ReadonlySet<string> = new Set(['version']);

/** Failed logins per IP before a ban (§1.4). */
export const MAX_FAILED_LOGINS = 10;

/** `rpccors` default (§1.1). */
export const CORS_ORIGIN = 'http://localhost:3000';
