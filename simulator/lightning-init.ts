/**
 * The synchronous checks `task::enable_lightning::init` makes before it spawns a task, in KDF's order and with
 * KDF's error variants (contract §2.1, table "Synchronous checks").
 *
 * @module
 */
import type { CoinConfig, CoinRegistry } from './coins.js';
import { NODE_NAME_MAX_BYTES, PROTOCOL_TYPES } from './kdf-constants.js';
import { MmError, internalError } from './mm-error.js';
import type { InitLightningRequest } from './requests.js';
import { bool, decodeOr, json, map, optional, string, struct, u32, u8, variants } from './serde.js';

const LightningProtocolConf = struct('LightningProtocolConf', {
  platform: string,
  network: variants('mainnet', 'testnet', 'regtest'),
  confirmation_targets: struct('PlatformCoinConfirmationTargets', { background: u32, normal: u32, high_priority: u32 }),
});

/** KDF's `CoinProtocol`: adjacently tagged by `type`, payload in `protocol_data`. */
const CoinProtocol = struct('CoinProtocol', { type: variants(...PROTOCOL_TYPES), protocol_data: optional(json) });

const LightningCoinConf = struct('LightningCoinConf', {
  coin: string,
  decimals: u8,
  accept_inbound_channels: optional(bool),
  accept_forwards_to_priv_channels: optional(bool),
  sign_message_prefix: optional(string),
  channel_options: optional(map),
  our_channels_configs: optional(map),
  counterparty_channel_config_limits: optional(map),
});

export const alreadyActivated = (ticker: string) =>
  new MmError('L2IsAlreadyActivated', 400, `Layer 2 ${ticker} is already activated`, 'init_l2', ticker);

/** Runs the checks; returns the platform coin's ticker, or throws the `MmError` KDF would answer with. */
export function checkLightningInit(
  request: InitLightningRequest,
  configs: ReadonlyMap<string, CoinConfig>,
  coins: CoinRegistry
): string {
  const { ticker } = request;
  // before the config: an enabled UTXO ticker is L2IsAlreadyActivated, not the docs' UnexpectedL2Protocol
  if (coins.isActive(ticker)) throw alreadyActivated(ticker);

  const config = configs.get(ticker);
  if (config === undefined) {
    throw new MmError('L2ConfigIsNotFound', 400, `Layer 2 ${ticker} config is not found`, 'init_l2.prelude', ticker);
  }
  const protocolParseError = (error: string) =>
    new MmError('L2ProtocolParseError', 500, `Layer 2 ${ticker} protocol parsing failed: ${error}`, 'init_l2.prelude', {
      ticker,
      error,
    });
  const protocol = decodeOr(CoinProtocol, config['protocol'], protocolParseError);
  if (protocol.type !== 'LIGHTNING') {
    // the docs print the bare tag ("protocol UTXO"); the source, which the contract follows, prints the JSON
    throw new MmError(
      'UnexpectedL2Protocol',
      400,
      `Unexpected layer 2 protocol ${JSON.stringify(config['protocol'])} for ${ticker}`,
      'init_l2.prelude.lightning_activation',
      { ticker, protocol: config['protocol'] }
    );
  }
  if (protocol.protocol_data === undefined) throw protocolParseError('missing field `protocol_data`');
  const { platform } = decodeOr(LightningProtocolConf, protocol.protocol_data, protocolParseError);
  decodeOr(
    LightningCoinConf,
    config,
    (error) =>
      new MmError('L2ConfigParseError', 500, `Layer 2 configuration parsing failed: ${error}`, 'init_l2.prelude', error)
  );

  // quirk (contract §2.1 #4, confirmed by the docs): the error names the lightning ticker, not the platform
  if (!coins.isActive(platform)) {
    throw new MmError(
      'PlatformCoinIsNotActivated',
      400,
      `Platform coin ${ticker} is not activated`,
      'init_l2.lp_coins',
      ticker
    );
  }
  const platformConfig = configs.get(platform) ?? {};
  if ((platformConfig['protocol'] as { type?: unknown } | undefined)?.type !== 'UTXO') {
    throw new MmError(
      'UnsupportedPlatformCoin',
      500,
      `${platform} is not a platform coin for layer 2 ${ticker}`,
      'init_l2.lightning_activation',
      { platform_coin_ticker: platform, l2_ticker: ticker }
    );
  }
  if ((platformConfig['address_format'] as { format?: unknown } | undefined)?.format !== 'segwit') {
    throw internalError('Lightning network is only supported in segwit mode', 'init_l2.lightning_activation');
  }
  const blocktime = platformConfig['avg_blocktime'];
  if (typeof blocktime !== 'number' || !Number.isInteger(blocktime) || blocktime < 0) {
    const err = "'avg_blocktime' field is not found in platform coin config";
    throw new MmError(
      'InvalidPlatformConfiguration',
      500,
      `Invalid config for platform coin: ${platform}, error: ${err}`,
      'init_l2.lightning_activation',
      { platform_coin_ticker: platform, err }
    );
  }

  const { name, color } = request.activation_params;
  if (Buffer.byteLength(name, 'utf8') > NODE_NAME_MAX_BYTES) {
    throw internalError(
      `Invalid request: Node name length can't be more than ${NODE_NAME_MAX_BYTES} characters`,
      'init_l2.lightning_activation'
    );
  }
  if (color !== undefined && !/^[0-9a-fA-F]{6}$/.test(color)) {
    throw internalError('Invalid request: Invalid Hex Color', 'init_l2.lightning_activation');
  }
  return platform;
}
