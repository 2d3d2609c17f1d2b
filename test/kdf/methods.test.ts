import { z } from 'zod';
import {
  DisableCoin,
  EnableLightningCancel,
  EnableLightningInitParams,
  GetEnabledCoins,
  LightningActivationParams,
  LightningActivationPhases,
  LightningTaskStatus,
  VersionResult,
} from '../../activities/kdf/index.js';

const problemsWith = (schema: z.ZodType, value: unknown): string => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return z.prettifyError(result.error);
};

describe('LightningActivationParams', () => {
  test.each([
    { name: 'node-1' },
    { name: 'x'.repeat(32) },
    { name: 'é'.repeat(16) },
    { name: 'node-1', listening_port: 1, color: '00fF00', payment_retries: 0, backup_path: '/tmp/ln' },
    { name: 'node-1', listening_port: 65535 },
  ])('accepts %j', (params) => {
    expect(LightningActivationParams.parse(params)).toEqual(params);
  });

  test('name: must not be empty', () => {
    expect(problemsWith(LightningActivationParams, { name: '' })).toMatchInlineSnapshot(`
     "✖ must not be empty or blank
       → at name"
    `);
  });

  test('name: the limit is 32 UTF-8 bytes, not 32 characters', () => {
    expect(problemsWith(LightningActivationParams, { name: '€'.repeat(11) })).toMatchInlineSnapshot(`
     "✖ must be at most 32 UTF-8 bytes
       → at name"
    `);
    expect(problemsWith(LightningActivationParams, { name: 'x'.repeat(33) })).toMatchInlineSnapshot(`
     "✖ must be at most 32 UTF-8 bytes
       → at name"
    `);
  });

  test('listening_port: an integer from 1 to 65535', () => {
    expect(problemsWith(LightningActivationParams, { name: 'n', listening_port: 0 })).toMatchInlineSnapshot(`
     "✖ must be 1-65535
       → at listening_port"
    `);
    expect(problemsWith(LightningActivationParams, { name: 'n', listening_port: 65536 })).toMatchInlineSnapshot(`
     "✖ must be 1-65535
       → at listening_port"
    `);
    expect(problemsWith(LightningActivationParams, { name: 'n', listening_port: 9735.5 })).toMatchInlineSnapshot(`
     "✖ must be an integer
       → at listening_port"
    `);
    expect(problemsWith(LightningActivationParams, { name: 'n', listening_port: '9735' })).toMatchInlineSnapshot(`
     "✖ must be an integer
       → at listening_port"
    `);
  });

  test.each(['#00ff00', 'fff', '00ff00a', 'gggggg'])('color: %j is not six hex digits', (color) => {
    expect(problemsWith(LightningActivationParams, { name: 'n', color })).toContain('→ at color');
  });

  test('color: the message says what is expected', () => {
    expect(problemsWith(LightningActivationParams, { name: 'n', color: '#00ff00' })).toMatchInlineSnapshot(`
     "✖ must be six hex digits without "#", e.g. 000000
       → at color"
    `);
  });

  test('payment_retries: an integer from 0 to 100', () => {
    expect(problemsWith(LightningActivationParams, { name: 'n', payment_retries: 101 })).toContain('must be 0-100');
    expect(problemsWith(LightningActivationParams, { name: 'n', payment_retries: -1 })).toMatchInlineSnapshot(`
     "✖ must be 0-100
       → at payment_retries"
    `);
    expect(problemsWith(LightningActivationParams, { name: 'n', payment_retries: 1.5 })).toMatchInlineSnapshot(`
     "✖ must be an integer
       → at payment_retries"
    `);
  });

  test('backup_path: not empty', () => {
    expect(problemsWith(LightningActivationParams, { name: 'n', backup_path: '' })).toMatchInlineSnapshot(`
     "✖ must not be empty
       → at backup_path"
    `);
  });

  test('backup_path: null is accepted, as KDF reads an Option (null = none)', () => {
    expect(LightningActivationParams.parse({ name: 'n', backup_path: null })).toEqual({ name: 'n', backup_path: null });
  });

  test('a misspelt key is rejected, not ignored as KDF would', () => {
    expect(problemsWith(LightningActivationParams, { name: 'n', listen_port: 9735 })).toMatchInlineSnapshot(
      `"✖ Unrecognized key: "listen_port""`
    );
  });

  test('every bad field is named at once', () => {
    const problems = problemsWith(LightningActivationParams, {
      name: '',
      listening_port: 0,
      color: 'red',
      payment_retries: -1,
      backup_path: '',
    });
    for (const field of ['name', 'listening_port', 'color', 'payment_retries', 'backup_path']) {
      expect(problems).toContain(`→ at ${field}`);
    }
  });
});

describe('EnableLightningInitParams', () => {
  test('paths point into activation_params', () => {
    expect(
      problemsWith(EnableLightningInitParams, { ticker: 'LN', activation_params: { name: 'n', listening_port: -1 } })
    ).toMatchInlineSnapshot(`
     "✖ must be 1-65535
       → at activation_params.listening_port"
    `);
  });

  test('ticker and activation_params are required, client_id is a non-negative integer', () => {
    expect(problemsWith(EnableLightningInitParams, { client_id: -1 })).toMatchInlineSnapshot(`
     "✖ Invalid input: expected string, received undefined
       → at ticker
     ✖ is required
       → at activation_params
     ✖ Too small: expected number to be >=0
       → at client_id"
    `);
  });
});

describe('LightningTaskStatus', () => {
  const ok = {
    status: 'Ok',
    details: {
      platform_coin: 'tBTC-TEST-segwit',
      address: '02ce55b18d617bf4ac27b0f045301a0bb4e71669ae45cb5f2529f2f217520ffca1',
      balance: { spendable: '0', unspendable: '0' },
    },
  };
  const failed = {
    status: 'Error',
    details: {
      error: 'I/O error Address already in use (os error 98)',
      error_path: 'init_l2.lightning_activation.ln_p2p',
      error_trace: 'init_l2:223] lightning_activation:340] ln_p2p:194]',
      error_type: 'Internal',
      error_data: 'I/O error Address already in use (os error 98)',
    },
  };

  test.each([
    { status: 'InProgress', details: 'InitializingChannelManager' },
    { status: 'InProgress', details: 'SomePhaseAddedLater' },
    { status: 'UserActionRequired', details: 'EnterTrezorPin' },
    ok,
    failed,
    { status: 'Error', details: { error: 'No such coin', error_type: 'Internal' } },
  ])('parses %j', (status) => {
    expect(LightningTaskStatus.parse(status)).toEqual(status);
  });

  test('drops unknown keys instead of failing', () => {
    expect(LightningTaskStatus.parse({ ...ok, details: { ...ok.details, channels: 3 }, eta: 5 })).toEqual(ok);
  });

  test('an unknown status is a schema failure', () => {
    expect(problemsWith(LightningTaskStatus, { status: 'Cancelled', details: null })).toMatchInlineSnapshot(`
     "✖ Invalid discriminator value. Expected 'InProgress' | 'UserActionRequired' | 'Ok' | 'Error'
       → at status"
    `);
  });

  test('Ok details are checked', () => {
    expect(problemsWith(LightningTaskStatus, { status: 'Ok', details: { ...ok.details, balance: { spendable: 0 } } }))
      .toMatchInlineSnapshot(`
     "✖ Invalid input: expected string, received number
       → at details.balance.spendable
     ✖ Invalid input: expected string, received undefined
       → at details.balance.unspendable"
    `);
  });

  test('the phases are listed in the order KDF emits them (contract §4.3)', () => {
    expect(LightningActivationPhases).toEqual([
      'ActivatingCoin',
      'GettingFeesFromRPC',
      'ReadingNetworkGraphFromFile',
      'InitializingChannelManager',
      'InitializingPeerManager',
      'ReadingScorerFromFile',
      'InitializingBackgroundProcessor',
      'ReadingChannelsAddressesFromFile',
    ]);
  });
});

describe('the other methods', () => {
  test('get_enabled_coins takes no params: not even {}', () => {
    expect(GetEnabledCoins.params.safeParse(undefined).success).toBe(true);
    expect(GetEnabledCoins.params.safeParse({}).success).toBe(false);
  });

  test('get_enabled_coins result keeps tickers only', () => {
    expect(GetEnabledCoins.result.parse({ coins: [{ ticker: 'A', address: 'x' }] })).toEqual({
      coins: [{ ticker: 'A' }],
    });
  });

  test('cancel succeeds only with the string "success"', () => {
    expect(EnableLightningCancel.result.parse('success')).toBe('success');
    expect(EnableLightningCancel.result.safeParse({ status: 'success' }).success).toBe(false);
  });

  test('the legacy disable_coin reply is parsed as a whole body', () => {
    const body = { result: { coin: 'LN', cancelled_orders: [], passivized: false } };
    expect(DisableCoin.result.parse(body)).toEqual(body);
    // nodes from before passivizing existed reply without the field; they removed the coin
    const older = { result: { coin: 'LN', cancelled_orders: [] } };
    expect(DisableCoin.result.parse(older)).toEqual(body);
    expect(DisableCoin.params.safeParse({ coin: 'LN', forceDisable: true }).success).toBe(false);
  });

  test('version carries datetime next to result (contract §2.7)', () => {
    const body = { result: '2.5.1-beta_a9fbf6096', datetime: '2025-07-28T17:10:33.123456+00:00' };
    expect(VersionResult.parse(body)).toEqual(body);
    expect(problemsWith(VersionResult, { result: '2.5.1-beta' })).toMatchInlineSnapshot(`
     "✖ Invalid input: expected string, received undefined
       → at datetime"
    `);
  });
});
